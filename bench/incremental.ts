/**
 * Incremental publish with one file changed, through the counting proxy:
 * the publisher writes a complete new version (server-side copies, one
 * upload, the manifest and the head), while `aws s3 sync` and `rclone sync`
 * update their prefix of the full round in place.
 */

import { headKey } from "../core/keys.ts";
import { runPublisher } from "./children.ts";
import {
  attempt,
  type BenchContext,
  CHANNEL,
  objectSizes,
  publishSettings,
  requireProxy,
  rotate,
} from "./context.ts";
import { fullPrefix } from "./full.ts";
import { difference } from "./proxy.ts";
import type { IncrementalRun, IncrementalTool } from "./report.ts";

export interface IncrementalRound {
  runs: Partial<Record<IncrementalTool, IncrementalRun>>;
  changedFileBytes: number;
  /** The changed file plus the publisher's new manifest and head, in bytes. */
  minimumBytes: number;
}

/**
 * Runs one tool through the proxy. For the publisher, `storedBytes` is the
 * size of the new manifest and head, read directly from the server (not counted).
 */
async function runIncrementalTool(
  context: BenchContext,
  tool: IncrementalTool,
  prefix: string,
): Promise<{ ms: number; storedBytes?: number }> {
  const { aws, rclone, library } = context;
  const proxy = requireProxy(context);
  if (tool === "publisher") {
    const { ms, result } = await runPublisher(
      context.bundles.publisher,
      publishSettings(context, prefix, proxy.endpoint),
    );
    if (result.uploaded !== 1 || result.copied !== library.files - 1) {
      throw new Error(
        `Expected one upload and ${library.files - 1} copies, got ${result.uploaded} uploads and ${result.copied} copies`,
      );
    }
    const [manifestBytes = 0, headBytes = 0] = await objectSizes(context, [
      result.manifestKey,
      headKey(prefix, CHANNEL),
    ]);
    return { ms, storedBytes: manifestBytes + headBytes };
  }
  if (tool === "aws" && aws !== undefined) {
    return { ms: await aws(library.skillsDirectory, prefix, proxy.endpoint) };
  }
  if (tool === "rclone" && rclone !== undefined) {
    return { ms: await rclone("sync", library.skillsDirectory, prefix, proxy.endpoint) };
  }
  throw new Error(`${tool} is not installed`);
}

/** Changes one file, then runs every available tool once; call after `runFullRound`. */
export async function runIncrementalRound(
  context: BenchContext,
  round: number,
): Promise<IncrementalRound> {
  const { aws, rclone, library } = context;
  const proxy = requireProxy(context);
  const changedFileBytes = await library.changeOneFile(round + 1);
  const tools: IncrementalTool[] = ["publisher"];
  if (aws !== undefined) tools.push("aws");
  if (rclone !== undefined) tools.push("rclone");
  const runs: Partial<Record<IncrementalTool, IncrementalRun>> = {};
  let minimumBytes = Number.NaN;
  for (const tool of rotate(tools, round)) {
    const prefix = fullPrefix(context, round, tool);
    const before = proxy.counts();
    const measured = await attempt(
      context,
      `Incremental publish with ${tool}, round ${round + 1}`,
      () => runIncrementalTool(context, tool, prefix),
    );
    if (measured === undefined) continue;
    runs[tool] = { ms: measured.ms, traffic: difference(proxy.counts(), before) };
    if (measured.storedBytes !== undefined) {
      minimumBytes = changedFileBytes + measured.storedBytes;
    }
  }
  return { runs, changedFileBytes, minimumBytes };
}
