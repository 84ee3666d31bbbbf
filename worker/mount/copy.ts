/**
 * Copy mode: the Worker reads every file of the version from the bucket and
 * writes it into the sandbox, for containers without FUSE. The files land in
 * a staging folder next to the mount path, which moves into place only when
 * every file arrived with the manifest's size and SHA-256. The tree is then
 * read-only, with executable files at mode 755 (0o555 after the write bits
 * are removed).
 *
 * NOTE: read-only here means file modes, which a process running as root in
 * the sandbox can override. The mount modes are read-only mounts instead.
 */

import { sha256Hex } from "../../core/encoding.ts";
import { quote } from "../../core/ids.ts";
import { objectKey } from "../../core/keys.ts";
import { type Manifest, MODE_EXECUTABLE } from "../../core/manifest.ts";
import { checkRelativePath } from "../../core/paths.ts";
import type { Bucket } from "../bucket/types.ts";
import type { SandboxHandle } from "../sandbox/types.ts";
import { readManifest } from "./manifest.ts";
import { chunk, shellCommand } from "./shell.ts";
import { MountError, type MountTarget, type VersionMounter } from "./types.ts";

/** A target with its manifest, already checked against its recorded SHA-256. */
export interface CopyTarget extends MountTarget {
  manifest: Manifest;
}

export interface CopyOptions {
  /** Files read and written at the same time. */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 8;
/** Paths per `mkdir` or `chmod` command. */
const PATHS_PER_COMMAND = 200;

/** Throws unless every manifest path is a safe relative path; runs before anything is written. */
export function assertSafeManifestPaths(target: CopyTarget): void {
  const problems: string[] = [];
  for (const file of target.manifest.files) {
    const reason = checkRelativePath(file.path);
    if (reason !== undefined) problems.push(`${quote(file.path)}: ${reason}`);
  }
  if (problems.length > 0) {
    throw new MountError(
      `Version ${target.version} for session ${target.sessionId} has unsafe paths in its manifest, so nothing was copied: ${problems.slice(0, 5).join("; ")}; republish the version from a clean tree`,
    );
  }
}

async function run(handle: SandboxHandle, command: string, target: MountTarget): Promise<void> {
  const result = await handle.exec(command);
  if (result.exitCode !== 0) {
    throw new MountError(
      `Copying version ${target.version} into session ${target.sessionId} failed: ${quote(command, 120)} exited with ${result.exitCode}: ${result.stderr.trim() || "no error output"}`,
    );
  }
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

async function copyFile(
  handle: SandboxHandle,
  bucket: Bucket,
  target: MountTarget,
  staging: string,
  file: Manifest["files"][number],
): Promise<void> {
  const key = objectKey(target.rootPrefix, target.version, file.path);
  const object = await bucket.get(key);
  if (object === null) {
    throw new MountError(
      `Version ${target.version} is incomplete: object ${quote(key)} is missing from the bucket; publish the version again`,
    );
  }
  // Checked before the body is read, so an object larger than the manifest
  // claims is never loaded into the Worker's memory. A missing length reads
  // as 0 and falls through to the exact check after the read.
  if (object.size > file.size) {
    await object.body.cancel();
    throw new MountError(
      `Object ${quote(key)} has ${object.size} bytes but the manifest of version ${target.version} lists ${file.size}; publish the version again`,
    );
  }
  // NOTE: each file is held in memory whole, twice with its base64 form, and
  // `concurrency` files at once; versions with very large files belong in a
  // mount mode, not in copy mode.
  const bytes = new Uint8Array(await object.arrayBuffer());
  if (bytes.byteLength !== file.size) {
    throw new MountError(
      `Object ${quote(key)} has ${bytes.byteLength} bytes but the manifest of version ${target.version} lists ${file.size}; publish the version again`,
    );
  }
  const digest = await sha256Hex(bytes);
  if (digest !== file.sha256) {
    throw new MountError(
      `Object ${quote(key)} has SHA-256 ${digest} but the manifest of version ${target.version} lists ${file.sha256}; publish the version again`,
    );
  }
  await handle.writeFile(`${staging}/${file.path}`, bytes);
}

/** Runs `work` on every item with at most `limit` running at once; stops at the first failure. */
async function forEachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (!failed && next < items.length) {
      const item = items[next];
      next++;
      if (item === undefined) continue;
      try {
        await work(item);
      } catch (error: unknown) {
        failed = true;
        throw error;
      }
    }
  }
  const workers = Array.from({ length: Math.min(limit, items.length) }, () => worker());
  const results = await Promise.allSettled(workers);
  const rejection = results.find((result) => result.status === "rejected");
  if (rejection !== undefined) throw rejection.reason;
}

/** Writes the version into the sandbox at the mount path; see the module comment for the steps. */
export async function copyVersion(
  handle: SandboxHandle,
  bucket: Bucket,
  target: CopyTarget,
  options: CopyOptions = {},
): Promise<void> {
  assertSafeManifestPaths(target);
  const files = target.manifest.files;
  const staging = `${target.mountPath}.partial-${crypto.randomUUID()}`;
  const folders = new Set<string>([staging]);
  for (const file of files) folders.add(parentOf(`${staging}/${file.path}`));

  try {
    for (const paths of chunk([...folders].sort(), PATHS_PER_COMMAND)) {
      await run(handle, shellCommand("mkdir", ["-p", ...paths]), target);
    }
    await forEachLimited(files, options.concurrency ?? DEFAULT_CONCURRENCY, (file) =>
      copyFile(handle, bucket, target, staging, file),
    );
    const executables = files
      .filter((file) => file.mode === MODE_EXECUTABLE)
      .map((file) => `${staging}/${file.path}`);
    for (const paths of chunk(executables, PATHS_PER_COMMAND)) {
      await run(handle, shellCommand("chmod", ["755", ...paths]), target);
    }
    await run(handle, shellCommand("chmod", ["-R", "a-w", staging]), target);
    await run(handle, shellCommand("mkdir", ["-p", parentOf(target.mountPath)]), target);
    // -T (GNU mv, as in the SDK's Ubuntu image): replace an empty folder at
    // the mount path and fail on a non-empty one, instead of moving the
    // staging folder inside it.
    await run(handle, shellCommand("mv", ["-T", staging, target.mountPath]), target);
  } catch (error: unknown) {
    // Best effort: a failed clean-up must not hide the error that caused it.
    await handle
      .exec(
        `${shellCommand("chmod", ["-R", "u+w", staging])} && ${shellCommand("rm", ["-rf", staging])}`,
      )
      .catch(() => undefined);
    throw error;
  }
}

/** Removes a copied tree; its folders are read-only, so write access comes back first. */
export async function removeCopiedVersion(
  handle: SandboxHandle,
  target: MountTarget,
): Promise<void> {
  await run(
    handle,
    `${shellCommand("chmod", ["-R", "u+w", target.mountPath])} && ${shellCommand("rm", ["-rf", target.mountPath])}`,
    target,
  );
}

export function copyMounter(bucket: Bucket, options: CopyOptions = {}): VersionMounter {
  return {
    mode: "copy",
    mount: async (handle, target) => {
      const manifest = await readManifest(bucket, target);
      await copyVersion(handle, bucket, { ...target, manifest }, options);
    },
    unmount: (handle, target) => removeCopiedVersion(handle, target),
  };
}
