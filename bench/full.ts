/**
 * Full publish into an empty prefix: the publisher, `aws s3 sync`, `rclone
 * copy` and the ceiling loop take turns on the same files and server.
 */

import { runCeiling, runPublisher } from "./children.ts";
import { type BenchContext, ceilingInput, publishSettings, rotate } from "./context.ts";
import type { FullTool } from "./report.ts";

/** Runs one round of every available tool; returns milliseconds by tool. */
export async function runFullRound(
  context: BenchContext,
  round: number,
): Promise<Partial<Record<FullTool, number>>> {
  const { aws, rclone, library, server } = context;
  const tools: FullTool[] = ["publisher", "ceiling"];
  if (aws !== undefined) tools.push("aws");
  if (rclone !== undefined) tools.push("rclone");
  const times: Partial<Record<FullTool, number>> = {};
  for (const tool of rotate(tools, round)) {
    const prefix = fullPrefix(context, round, tool);
    if (tool === "publisher") {
      const { ms, result } = await runPublisher(publishSettings(context, prefix, server.endpoint));
      if (result.uploaded !== library.files) {
        throw new Error(
          `Expected a full publish to upload ${library.files} files, it uploaded ${result.uploaded}`,
        );
      }
      times.publisher = ms;
    } else if (tool === "ceiling") {
      times.ceiling = await runCeiling(ceilingInput(context, prefix));
    } else if (tool === "aws" && aws !== undefined) {
      times.aws = await aws(library.skillsDirectory, prefix, server.endpoint);
    } else if (tool === "rclone" && rclone !== undefined) {
      times.rclone = await rclone("copy", library.skillsDirectory, prefix, server.endpoint);
    }
  }
  return times;
}

/** The prefix a tool writes to in a round; the incremental round updates the same one. */
export function fullPrefix(context: BenchContext, round: number, tool: FullTool): string {
  return `${context.prefix}round-${round}/${tool}/`;
}
