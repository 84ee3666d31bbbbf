/**
 * Puts a version's files at a folder, read-only, in one of two ways:
 *
 * - `s3fs`: mounts `<bucket>:/<prefix>versions/<version>` with s3fs-fuse, which
 *   reads `x-amz-meta-mode`, so scripts keep their executable bit.
 * - `copy`: downloads every file the manifest lists, checks its size and
 *   SHA-256, keeps its mode and makes the tree read-only (for root, with a
 *   read-only bind mount, since root ignores file modes).
 *
 * Both wait until the version's first SKILL.md is readable before returning.
 */

import { execFile } from "node:child_process";
import { constants } from "node:fs";
import {
  access,
  chmod,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import { sha256Hex } from "../core/encoding.ts";
import { type Manifest, MODE_EXECUTABLE } from "../core/manifest.ts";
import { checkRelativePath } from "../core/paths.ts";
import { type BucketAccess, readObject } from "./bucket.ts";

const execFileAsync = promisify(execFile);

export type MountMode = "s3fs" | "copy";

/** How long a new mount may take to show its first SKILL.md, in milliseconds. */
export const DEFAULT_MOUNT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;
const COPY_CONCURRENCY = 8;

export type S3fsSupport = { available: true } | { available: false; reason: string };

async function findOnPath(command: string): Promise<string | undefined> {
  for (const folder of (process.env.PATH ?? "").split(":")) {
    if (folder === "") continue;
    const candidate = join(folder, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

/** Checks whether s3fs can mount here: the binary is on PATH and /dev/fuse opens. */
export async function detectS3fs(): Promise<S3fsSupport> {
  if ((await findOnPath("s3fs")) === undefined) {
    return {
      available: false,
      reason: "s3fs is not on PATH (install it with: apt-get install s3fs)",
    };
  }
  try {
    const device = await open("/dev/fuse", "r+");
    await device.close();
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      available: false,
      reason: `/dev/fuse cannot be opened (${code}); in a container, run it with --device /dev/fuse --cap-add SYS_ADMIN`,
    };
  }
  return { available: true };
}

function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** Returns the mount points listed in /proc/self/mounts, decoded. */
export async function listMountPoints(): Promise<string[]> {
  let text: string;
  try {
    text = await readFile("/proc/self/mounts", "utf8");
  } catch {
    return [];
  }
  const points: string[] = [];
  for (const line of text.split("\n")) {
    const field = line.split(" ")[1];
    if (field !== undefined) points.push(decodeMountField(field));
  }
  return points;
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await listMountPoints()).includes(resolve(path));
}

/** Polls `check` until it returns true; throws `message` after `timeoutMs`. */
export async function pollUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  message: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(message());
    await new Promise((done) => setTimeout(done, POLL_INTERVAL_MS));
  }
}

/**
 * Checks a path with `test` in a child process instead of `stat`. A stat on
 * an s3fs mount holds a libuv pool thread until s3fs has the object, so with
 * a bucket server in this process (s3rver started in-process, for example)
 * as many stats as pool threads (4 by default) deadlock it. The local stack
 * runs s3rver in a child process; this keeps the host safe with any bucket.
 */
export async function testPath(path: string, flag: "-e" | "-f"): Promise<boolean> {
  try {
    await execFileAsync("test", [flag, path], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function isReadable(path: string): Promise<boolean> {
  return testPath(path, "-f");
}

/** The path of the version's first SKILL.md, relative to the version root, if it has skills. */
export function firstSkillFile(manifest: Manifest): string | undefined {
  const first = manifest.skills[0];
  return first === undefined ? undefined : `${first.path}/SKILL.md`;
}

export interface S3fsMountOptions {
  access: BucketAccess;
  /** Key prefix of the version, `<root>versions/<version>/`. */
  prefix: string;
  target: string;
  /** A file with `ACCESS_KEY_ID:SECRET_ACCESS_KEY`, mode 0600, as s3fs requires. */
  passwordFile: string;
  manifest: Manifest;
  timeoutMs?: number;
}

/** Writes the s3fs password file with mode 0600. */
export async function writePasswordFile(path: string, access: BucketAccess): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${access.accessKeyId}:${access.secretAccessKey}\n`, { mode: 0o600 });
  // writeFile keeps the mode of a file that already exists.
  await chmod(path, 0o600);
}

/**
 * Mounts the version with s3fs and waits until its first SKILL.md shows.
 * On a timeout, the mount is removed again.
 */
export async function mountWithS3fs(options: S3fsMountOptions): Promise<void> {
  const { access: bucket, target } = options;
  for (const [name, value] of [
    ["password file", options.passwordFile],
    ["endpoint", bucket.endpoint],
  ] as const) {
    if (value.includes(",")) {
      throw new Error(
        `The s3fs ${name} ${JSON.stringify(value)} contains a comma, which s3fs options cannot carry; use a path without commas`,
      );
    }
  }
  const remotePath = `/${options.prefix.replace(/\/+$/, "")}`;
  await mkdir(target, { recursive: true });
  const args = [
    `${bucket.bucket}:${remotePath}`,
    target,
    "-o",
    "ro",
    "-o",
    `url=${bucket.endpoint}`,
    "-o",
    "use_path_request_style",
    "-o",
    `passwd_file=${options.passwordFile}`,
    "-o",
    `endpoint=${bucket.region}`,
  ];
  try {
    await execFileAsync("s3fs", args, { timeout: options.timeoutMs ?? DEFAULT_MOUNT_TIMEOUT_MS });
  } catch (error: unknown) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(
      `s3fs failed to mount ${bucket.bucket}:${remotePath} at ${target}: ${stderr || (error instanceof Error ? error.message : String(error))}`,
      { cause: error },
    );
  }
  const expected = firstSkillFile(options.manifest);
  const timeoutMs = options.timeoutMs ?? DEFAULT_MOUNT_TIMEOUT_MS;
  try {
    await pollUntil(
      async () =>
        (await isMountPoint(target)) &&
        (expected === undefined || (await isReadable(join(target, expected)))),
      timeoutMs,
      () =>
        `The s3fs mount at ${target} did not show ${expected ?? "the mount"} within ${timeoutMs} ms; check that ${bucket.endpoint} serves ${bucket.bucket}:${remotePath}`,
    );
  } catch (error: unknown) {
    await unmount(target).catch(() => undefined);
    throw error;
  }
}

/** Unmounts a FUSE or other mount: `fusermount -u` (or `fusermount3`), `umount`, then a lazy `umount -l`. */
export async function unmount(target: string): Promise<void> {
  const path = resolve(target);
  if (!(await isMountPoint(path))) return;
  const attempts: [string, string[]][] = [
    ["fusermount", ["-u", path]],
    ["fusermount3", ["-u", path]],
    ["umount", [path]],
    ["umount", ["-l", path]],
  ];
  const failures: string[] = [];
  for (const [command, args] of attempts) {
    try {
      await execFileAsync(command, args, { timeout: 10_000 });
    } catch (error: unknown) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      failures.push(`${command} ${args.join(" ")}: ${stderr || String(error)}`);
      continue;
    }
    if (!(await isMountPoint(path))) return;
  }
  throw new Error(`Failed to unmount ${path}: ${failures.join("; ")}`);
}

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
  let entries: import("node:fs").Dirent[];
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
