/**
 * Runs the CLI as a separate process on Node 24: from source through tsx, or
 * the built bundle. The environment holds only what a test passes, so
 * variables of the machine running the tests cannot leak in.
 */

import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { isolatedGitEnv } from "../support/git-repo.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const NODE = join(ROOT, "node_modules/.bin/node");
const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const SOURCE = join(ROOT, "cli/main.ts");
export const BUNDLE = join(ROOT, "dist/cli/index.js");

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Run `dist/cli/index.js` instead of the sources. */
  bundle?: boolean;
}

export function runCli(args: string[], options: CliRunOptions): Promise<CliRun> {
  const command = options.bundle ? [BUNDLE, ...args] : [TSX, SOURCE, ...args];
  return new Promise((done) => {
    execFile(
      NODE,
      command,
      {
        cwd: options.cwd,
        env: { ...isolatedGitEnv(), ...options.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        let exitCode = 0;
        if (error !== null) exitCode = typeof error.code === "number" ? error.code : -1;
        done({ exitCode, stdout, stderr });
      },
    );
  });
}
