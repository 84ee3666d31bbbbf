/**
 * Incremental publish with one file changed, through the counting proxy:
 * the publisher writes a complete new version (server-side copies, one
 * upload, the manifest and the head), while `aws s3 sync` and `rclone sync`
 * update their prefix of the full round in place.
 */

import { headKey } from "../core/keys.ts";
import { runPublisher } from "./children.ts";
import { type BenchContext, CHANNEL, objectSizes, publishSettings, rotate } from "./context.ts";
import { fullPrefix } from "./full.ts";
import { difference } from "./proxy.ts";
import type { IncrementalRun, IncrementalTool } from "./report.ts";

export interface IncrementalRound {
  runs: Partial<Record<IncrementalTool, IncrementalRun>>;
  changedFileBytes: number;
  /** The changed file plus the publisher's new manifest and head, in bytes. */
  minimumBytes: number;
}

/** Changes one file, then runs every available tool once; call after `runFullRound`. */
export async function runIncrementalRound(
  context: BenchContext,
  round: number,
): Promise<IncrementalRound> {
  const { aws, rclone, library, proxy } = context;
  const changedFileBytes = await library.changeOneFile(round + 1);
  const tools: IncrementalTool[] = ["publisher"];
  if (aws !== undefined) tools.push("aws");
  if (rclone !== undefined) tools.push("rclone");
  const runs: Partial<Record<IncrementalTool, IncrementalRun>> = {};
  let minimumBytes = Number.NaN;
  for (const tool of rotate(tools, round)) {
    const prefix = fullPrefix(context, round, tool);
    const before = proxy.counts();
    let ms: number;
    if (tool === "publisher") {
      const run = await runPublisher(publishSettings(context, prefix, proxy.endpoint));
      ms = run.ms;
      const { result } = run;
      if (result.uploaded !== 1 || result.copied !== library.files - 1) {
        throw new Error(
          `Expected one upload and ${library.files - 1} copies, got ${result.uploaded} uploads and ${result.copied} copies`,
        );
      }
      const [manifestBytes = 0, headBytes = 0] = await objectSizes(context, [
        result.manifestKey,
        headKey(prefix, CHANNEL),
      ]);
      minimumBytes = changedFileBytes + manifestBytes + headBytes;
    } else if (tool === "aws" && aws !== undefined) {
      ms = await aws(library.skillsDirectory, prefix, proxy.endpoint);
    } else if (tool === "rclone" && rclone !== undefined) {
      ms = await rclone("sync", library.skillsDirectory, prefix, proxy.endpoint);
    } else {
      continue;
    }
    runs[tool] = { ms, traffic: difference(proxy.counts(), before) };
  }
  return { runs, changedFileBytes, minimumBytes };
}
