/** What every mount mode receives, and the interface it implements. */

import type { MountMode } from "../config.ts";
import type { SandboxHandle } from "../sandbox/types.ts";

/** One version to make visible, read-only, at one path of one session's sandbox. */
export interface MountTarget {
  sessionId: string;
  version: string;
  /** Key of the version's manifest, root prefix included. */
  manifestKey: string;
  /** SHA-256 the registry recorded for the manifest; copy mode checks the manifest against it. */
  manifestSha256: string;
  /**
   * A file every mount of the version must show, relative to the version
   * root (its first skill's SKILL.md), or `undefined` for a version without
   * files.
   */
  knownFile: string | undefined;
  /** Absolute path in the sandbox, such as `/workspace/.claude/skills`. */
  mountPath: string;
  /** `SKILLS_PREFIX` normalized to `""` or `a/b/`. */
  rootPrefix: string;
}

/** Mounts versions one way (`MOUNT_MODE`) and removes what it mounted. */
export interface VersionMounter {
  readonly mode: MountMode;
  mount(handle: SandboxHandle, target: MountTarget): Promise<void>;
  /** Removes the mount; callers use it to undo a setup that failed half-way. */
  unmount(handle: SandboxHandle, target: MountTarget): Promise<void>;
}

/** A version could not be mounted; the message names the session, the version and the cause. */
export class MountError extends Error {
  override readonly name = "MountError";
}
