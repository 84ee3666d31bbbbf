/** Session start with the local stack; filled in when the stack can be started from code. */

import type { BenchContext } from "./context.ts";
import type { SessionResult } from "./report.ts";

export async function measureSessions(
  _context: BenchContext,
  _rounds: number,
): Promise<{ results: SessionResult[]; skipped: string[] }> {
  return { results: [], skipped: ["Session start: the local stack is not available yet"] };
}
