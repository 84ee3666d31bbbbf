/**
 * Full publish into an empty prefix: the publisher, `aws s3 sync`, `rclone
 * copy` and the ceiling loop take turns on the same files and server.
 */

import { runCeiling, runPublisher } from "./children.ts";
import { attempt, type BenchContext, ceilingInput, publishSettings, rotate } from "./context.ts";
import type { FullTool } from "./report.ts";

/** Runs one round of every available tool; returns milliseconds by tool. */
export async function runFullRound(
  context: BenchContext,
  round: number,
): Promise<Partial<Record<FullTool, number>>> {
  const { aws, rclone } = context;
  const tools: FullTool[] = ["publisher", "ceiling"];
  if (aws !== undefined) tools.push("aws");
  if (rclone !== undefined) tools.push("rclone");
  const times: Partial<Record<FullTool, number>> = {};
  for (const tool of rotate(tools, round)) {
    const prefix = fullPrefix(context, round, tool);
    const ms = await attempt(context, `Full publish with ${tool}, round ${round + 1}`, () =>
      runFullTool(context, tool, prefix),
    );
    if (ms !== undefined) times[tool] = ms;
  }
  return times;
}

async function runFullTool(context: BenchContext, tool: FullTool, prefix: string): Promise<number> {
  const { aws, rclone, library, server } = context;
  if (tool === "publisher") {
    const { ms, result } = await runPublisher(
      context.bundles.publisher,
      publishSettings(context, prefix, server.endpoint),
    );
    if (result.uploaded !== library.files) {
      throw new Error(
        `Expected a full publish to upload ${library.files} files, it uploaded ${result.uploaded}`,
      );
    }
    return ms;
  }
  if (tool === "ceiling") return runCeiling(context.bundles.ceiling, ceilingInput(context, prefix));
  if (tool === "aws" && aws !== undefined) {
    return aws(library.skillsDirectory, prefix, server.endpoint);
  }
  if (tool === "rclone" && rclone !== undefined) {
    return rclone("copy", library.skillsDirectory, prefix, server.endpoint);
  }
  throw new Error(`${tool} is not installed`);
}

/** Returns the prefix a tool writes to in a round; the incremental round updates the same one. */
export function fullPrefix(context: BenchContext, round: number, tool: FullTool): string {
  return `${context.prefix}round-${round}/${tool}/`;
}
