/**
 * Runs one publish in a child process so a test can SIGKILL it at any
 * point. Reads `PublishSettings` as JSON from standard input, prints
 * `started` once the publish begins and the `PublishResult` as JSON at the end.
 */

import { text } from "node:stream/consumers";
import { silentLogger } from "../../../core/logger.ts";
import { publish } from "../../../publisher/publish.ts";
import type { PublishSettings } from "../../../publisher/types.ts";

const settings = JSON.parse(await text(process.stdin)) as PublishSettings;
process.stdout.write("started\n");
const result = await publish(settings, silentLogger);
process.stdout.write(`${JSON.stringify(result)}\n`);
