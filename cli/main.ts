#!/usr/bin/env node
/** The r2-skills command: see `r2-skills --help`. */

import { runCli } from "./run.ts";

process.exitCode = await runCli(process.argv.slice(2), process.env, process.cwd());
