/**
 * The check that a mount shows the version it should: one known file of the
 * version, its first skill's SKILL.md, must be visible at the mount path.
 */

import type { Manifest } from "../../core/manifest.ts";
import { joinInside } from "../../core/paths.ts";
import type { SandboxHandle } from "../sandbox/types.ts";
import { MountError, type MountTarget } from "./types.ts";

/**
 * Returns the file of a manifest that proves a mount, relative to the
 * version root: the first skill's SKILL.md, else the first file, else
 * `undefined` for a version without files.
 */
export function knownFileOf(manifest: Pick<Manifest, "skills" | "files">): string | undefined {
  const skill = manifest.skills[0];
  return skill !== undefined ? `${skill.path}/SKILL.md` : manifest.files[0]?.path;
}

/** Returns the path in the sandbox of the target's known file, or `undefined` when it has none. */
export function knownFilePath(target: MountTarget): string | undefined {
  return target.knownFile === undefined
    ? undefined
    : joinInside(target.mountPath, target.knownFile);
}

/** Throws a `MountError` naming the session, version and path when the known file is missing. */
export async function verifyMount(handle: SandboxHandle, target: MountTarget): Promise<void> {
  const path = knownFilePath(target);
  if (path === undefined) return;
  if (!(await handle.exists(path))) {
    throw new MountError(
      `Mounted version ${target.version} for session ${target.sessionId}, but ${path} is not visible; check MOUNT_MODE and that the version's objects are in the bucket`,
    );
  }
}
