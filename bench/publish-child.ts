/**
 * Runs one publish in its own process, as the Action and the CLI do, so its
 * time includes process start like the reference tools' times. Reads
 * `PublishSettings` as JSON from standard input (it contains the secret key, so
 * it stays out of the argument list) and prints the `PublishResult` as JSON.
 */

import { text } from "node:stream/consumers";
import { silentLogger } from "../core/logger.ts";
import { publish } from "../publisher/publish.ts";
import type { PublishSettings } from "../publisher/types.ts";

const settings = JSON.parse(await text(process.stdin)) as PublishSettings;
const result = await publish(settings, silentLogger);
process.stdout.write(`${JSON.stringify(result)}\n`);
