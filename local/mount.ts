/**
 * Puts a version's files at a folder, read-only, in one of two ways:
 *
 * - `s3fs`: mounts `<bucket>:/<prefix>versions/<version>` with s3fs-fuse, which
 *   reads `x-amz-meta-mode`, so scripts keep their executable bit.
 * - `copy`: downloads every file the manifest lists (see copy.ts).
 *
 * Both wait until a known file of the version (its first skill's SKILL.md)
 * is readable before returning.
 * This module also finds, waits for and removes mounts.
 */

import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, chmod, mkdir, open, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Manifest } from "../core/manifest.ts";
import type { BucketAccess } from "./bucket.ts";

const execFileAsync = promisify(execFile);

export type MountMode = "s3fs" | "copy";

/** How long a new mount may take to show its known file, in milliseconds. */
export const DEFAULT_MOUNT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

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

export function isReadable(path: string): Promise<boolean> {
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
  /** The file the mount must show, relative to the version root; `undefined` waits for the mount only. */
  knownFile: string | undefined;
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
 * Mounts the version with s3fs and waits until its known file shows.
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
  const expected = options.knownFile;
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
