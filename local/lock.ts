/**
 * The state folder's lock: one stack per `.r2-skills/` at a time. A second
 * stack on the same folder would clear the first one's sessions as stale,
 * start a second server on the same bucket data, and point `local.json` at
 * its own ports.
 */

import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

export const LOCK_FILE = "stack.pid";

/** Error: another live process has locked the state folder. */
export class StateLockedError extends Error {
  override readonly name = "StateLockedError";
}

export interface StateLock {
  /** Removes the lock file; safe to call more than once. */
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    // EPERM means the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of `stateDir` for this process. A lock left by a process
 * that no longer runs is taken over. A lock of a live process throws
 * `StateLockedError`, which names its pid and the fix.
 */
export async function acquireStateLock(stateDir: string): Promise<StateLock> {
  const path = join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(path);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      throw new StateLockedError(
        `A local stack is already running on ${stateDir} (pid ${owner}): stop it with Ctrl-C, or pass --state-dir with another folder to run a second one`,
      );
    }
    await rm(path, { force: true });
  }
  throw new StateLockedError(
    `Could not take the lock ${path}: another stack is starting on ${stateDir} at the same time; try again`,
  );
}
