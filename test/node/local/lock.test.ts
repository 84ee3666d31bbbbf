import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireStateLock, LOCK_FILE, StateLockedError } from "../../../local/lock.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "r2-skills-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Returns the pid of a process that has already exited. */
function exitedPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("acquireStateLock", () => {
  it("writes this process's pid", async () => {
    const lock = await acquireStateLock(dir);
    expect(await readFile(join(dir, LOCK_FILE), "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
    await expect(stat(join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it("rejects a folder a live process holds", async () => {
    const parent = process.ppid;
    await writeFile(join(dir, LOCK_FILE), `${parent}\n`);
    const error = await acquireStateLock(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateLockedError);
    expect((error as Error).message).toContain(`pid ${parent}`);
    expect((error as Error).message).toContain("--state-dir");
  });

  it("takes over a lock of an exited process", async () => {
    await writeFile(join(dir, LOCK_FILE), `${exitedPid()}\n`);
    const lock = await acquireStateLock(dir);
    expect(await readFile(join(dir, LOCK_FILE), "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
  });

  it("takes over an unreadable lock file", async () => {
    await writeFile(join(dir, LOCK_FILE), "not a pid\n");
    const lock = await acquireStateLock(dir);
    await lock.release();
    await lock.release();
  });
});
