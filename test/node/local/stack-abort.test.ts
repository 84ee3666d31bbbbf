/**
 * Aborting `startStack` while workerd starts, as Ctrl-C does: the start ends
 * with `StartAbortedError`, and the bucket, the sandbox host and the state
 * folder's lock are released.
 */

import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../../../core/logger.ts";
import { LOCK_FILE } from "../../../local/lock.ts";
import { StartAbortedError, startStack } from "../../../local/stack.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";

/** Returns a logger that aborts `controller` when a message starts with `prefix`. */
function abortingLogger(controller: AbortController, prefix: string, seen: string[]): Logger {
  const record = (message: string) => {
    seen.push(message);
    if (message.startsWith(prefix)) controller.abort();
  };
  return {
    debug: () => {},
    info: record,
    warn: record,
    error: record,
    group: async (_name, work) => await work(),
  } as Logger;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

describe("startStack abort", () => {
  let repo: GitRepo;
  let state: string;

  beforeAll(async () => {
    repo = await createGitRepo();
    await repo.write("skills/alpha/SKILL.md", "---\nname: alpha\ndescription: Alpha.\n---\n");
    await repo.commit({ message: "Add alpha" });
    state = await mkdtemp(join(tmpdir(), "r2-skills-abort-"));
  });

  afterAll(async () => {
    await repo?.close();
    if (state !== undefined) await rm(state, { recursive: true, force: true });
  });

  const stackOptions = () => ({
    repositoryRoot: repo.root,
    skillsPath: "skills",
    stateDir: state,
    channel: "production",
    s3Port: 0,
    workerPort: 0,
    hostPort: 0,
    mount: "copy" as const,
    verbose: false,
  });

  it("stops what started when aborted", async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const start = startStack({
      ...stackOptions(),
      logger: abortingLogger(controller, "Starting the Worker in workerd", seen),
      signal: controller.signal,
    });

    await expect(start).rejects.toBeInstanceOf(StartAbortedError);
    expect(seen).toContain("Starting the Worker in workerd…");
    expect(await exists(join(state, LOCK_FILE))).toBe(false);

    // The lock and the ports are free again, so a second start in the same folder works.
    const stack = await startStack({
      ...stackOptions(),
      logger: abortingLogger(new AbortController(), "never", []),
    });
    await stack.stop();
  }, 120_000);
});
