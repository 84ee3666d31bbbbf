/**
 * Copy mode: downloads every file the manifest lists, checks its size and
 * SHA-256, keeps its mode and makes the tree read-only (for root, with a
 * read-only bind mount, since root ignores file modes).
 */

import { execFile } from "node:child_process";
import type { Dirent } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import { sha256Hex } from "../core/encoding.ts";
import { type Manifest, MODE_EXECUTABLE } from "../core/manifest.ts";
import { checkRelativePath } from "../core/paths.ts";
import { readObject } from "./bucket.ts";
import { firstSkillFile, isReadable, listMountPoints, unmount } from "./mount.ts";

const execFileAsync = promisify(execFile);

const COPY_CONCURRENCY = 8;

export interface CopyOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the version, `<root>versions/<version>/`. */
  prefix: string;
  target: string;
  manifest: Manifest;
}

/** Resolves `relativePath` under `root` after checking it, and confirms it stays inside. */
function insideFolder(root: string, relativePath: string): string {
  const reason = checkRelativePath(relativePath);
  if (reason !== undefined) {
    throw new Error(`Unsafe path ${JSON.stringify(relativePath)} in the manifest: ${reason}`);
  }
  const full = resolve(root, relativePath);
  if (!full.startsWith(`${resolve(root)}${sep}`)) {
    throw new Error(`The manifest path ${JSON.stringify(relativePath)} resolves outside ${root}`);
  }
  return full;
}

/**
 * Runs `work` on every item with at most `limit` running at once. After the
 * first failure no new item starts, and the failure is thrown only once every
 * running item has settled, so a caller's clean-up never races a late write.
 */
async function runLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next];
      next += 1;
      if (item === undefined) continue;
      try {
        await work(item);
      } catch (error: unknown) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  const rejection = results.find((result) => result.status === "rejected");
  if (rejection !== undefined) throw rejection.reason;
}

/** Makes every folder under `root` read-only, deepest first, and then `root` itself. */
async function lockTree(root: string): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.isDirectory()) await lockTree(join(root, entry.name));
  }
  await chmod(root, 0o555);
}

/** Gives the owner write access to every folder under `root`, so it can be removed. */
async function unlockTree(root: string): Promise<void> {
  let entries: Dirent[];
  try {
    await chmod(root, 0o755);
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) await unlockTree(join(root, entry.name));
  }
}

/** Removes a folder that may hold read-only copies. Refuses to descend into a mount. */
export async function removeTree(root: string): Promise<void> {
  for (const point of await listMountPoints()) {
    if (point === resolve(root) || point.startsWith(`${resolve(root)}${sep}`)) {
      throw new Error(`${point} is still mounted; unmount it before removing ${root}`);
    }
  }
  await unlockTree(root);
  await rm(root, { recursive: true, force: true });
}

/**
 * Downloads every file of the version into `target`, checking each file's
 * size and SHA-256 against the manifest. Files are written to a sibling
 * folder first and renamed into place, so `target` never shows half a version.
 * The copy is read-only by file modes, and for root also by a read-only bind
 * mount. Returns why that bind mount failed, or `undefined`.
 */
export async function copyVersion(options: CopyOptions): Promise<string | undefined> {
  const { manifest, target } = options;
  const staging = `${target}.partial-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await runLimited(manifest.files, COPY_CONCURRENCY, async (file) => {
      const destination = insideFolder(staging, file.path);
      const bytes = await readObject(
        options.client,
        options.bucket,
        `${options.prefix}${file.path}`,
      );
      if (bytes.byteLength !== file.size) {
        throw new Error(
          `${file.path} is ${bytes.byteLength} bytes in the bucket but ${file.size} in the manifest; publish the version again`,
        );
      }
      const digest = await sha256Hex(bytes);
      if (digest !== file.sha256) {
        throw new Error(
          `${file.path} has SHA-256 ${digest} in the bucket but ${file.sha256} in the manifest; publish the version again`,
        );
      }
      await mkdir(dirname(destination), { recursive: true });
      const mode = file.mode === MODE_EXECUTABLE ? 0o555 : 0o444;
      await writeFile(destination, bytes, { mode, flag: "wx" });
      await chmod(destination, mode);
    });
    await lockTree(staging);
    await mkdir(dirname(target), { recursive: true });
    await rename(staging, target);
  } catch (error: unknown) {
    await removeTree(staging).catch(() => undefined);
    throw error;
  }
  const expected = firstSkillFile(manifest);
  if (expected !== undefined && !(await isReadable(join(target, expected)))) {
    throw new Error(`The copy at ${target} does not show ${expected}`);
  }
  return await bindReadOnly(target);
}

/**
 * Makes `target` a read-only bind mount of itself when running as root,
 * because file modes do not stop root from writing. Returns why it did not,
 * or `undefined` when it did.
 */
async function bindReadOnly(target: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    await execFileAsync("mount", ["--bind", target, target], { timeout: 10_000 });
  } catch (error: unknown) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return `mount --bind failed (${stderr || String(error)}), so root can still write to the copy`;
  }
  try {
    await execFileAsync("mount", ["-o", "remount,bind,ro", target], { timeout: 10_000 });
  } catch (error: unknown) {
    await unmount(target).catch(() => undefined);
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return `remounting read-only failed (${stderr || String(error)}), so root can still write to the copy`;
  }
  return undefined;
}
