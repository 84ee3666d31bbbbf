import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeTree } from "../../../local/copy.ts";
import { detectS3fs, listMountPoints, pollUntil, unmount } from "../../../local/mount.ts";

const execFileAsync = promisify(execFile);
const isRoot = process.getuid?.() === 0;

describe("detectS3fs", () => {
  let savedPath: string | undefined;
  let emptyFolder: string;

  beforeEach(async () => {
    savedPath = process.env.PATH;
    emptyFolder = await mkdtemp(join(tmpdir(), "r2-skills-empty-path-"));
  });

  afterEach(async () => {
    process.env.PATH = savedPath;
    await rm(emptyFolder, { recursive: true, force: true });
  });

  it("reports s3fs missing from PATH", async () => {
    process.env.PATH = emptyFolder;
    const support = await detectS3fs();
    expect(support.available).toBe(false);
    expect(support.available ? "" : support.reason).toContain("apt-get install s3fs");
  });
});

describe("pollUntil", () => {
  it("returns once the check passes", async () => {
    let calls = 0;
    await pollUntil(
      async () => ++calls >= 3,
      5_000,
      () => "never",
    );
    expect(calls).toBe(3);
  });

  it("throws the message after the timeout", async () => {
    await expect(
      pollUntil(
        async () => false,
        120,
        () => "still not there",
      ),
    ).rejects.toThrow("still not there");
  });
});

describe("removeTree", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "r2-skills-tree-"));
  });

  afterEach(async () => {
    await unmount(join(root, "mounted")).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it("removes read-only folders", async () => {
    const folder = join(root, "a", "b");
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, "file.md"), "x", { mode: 0o444 });
    await execFileAsync("chmod", ["-R", "a-w", join(root, "a")]);
    await removeTree(join(root, "a"));
    await expect(stat(join(root, "a"))).rejects.toThrow();
  });

  it.skipIf(!isRoot)("refuses a folder with a mount inside", async () => {
    const mounted = join(root, "mounted");
    await mkdir(mounted);
    await execFileAsync("mount", ["--bind", mounted, mounted]);
    expect(await listMountPoints()).toContain(mounted);
    await expect(removeTree(root)).rejects.toThrow("is still mounted");
    await unmount(mounted);
    expect(await listMountPoints()).not.toContain(mounted);
  });
});
