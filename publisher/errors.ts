/** Failures of a publish other than invalid skills, which come back as problems. */

import type { PublishResult } from "./types.ts";

export type PublishErrorCode =
  /** A setting is missing or malformed. */
  | "invalid-settings"
  /** A git command failed or the folder is not a git work tree. */
  | "git"
  /** A file changed on disk between reading and uploading it. */
  | "source-changed"
  /** A file under the skills folder cannot be read (permissions, I/O). */
  | "source-unreadable"
  /** A bucket request failed after its retries. */
  | "store"
  /** The version exists in the bucket with different files. */
  | "version-conflict"
  /** A version or head needed for the request is missing from the bucket. */
  | "not-found"
  /** The Worker rejected the notification (4xx). */
  | "notify-rejected"
  /** The notification failed after its retries. */
  | "notify-failed";

/** A publish failed; the message names the value at fault and the fix. */
export class PublishError extends Error {
  override readonly name = "PublishError";
  readonly code: PublishErrorCode;
  /**
   * Result of the publish when the version is complete in the bucket and
   * only the notification failed, else `undefined`.
   */
  readonly result: PublishResult | undefined;

  constructor(
    code: PublishErrorCode,
    message: string,
    options?: ErrorOptions & { result?: PublishResult },
  ) {
    super(message, options);
    this.code = code;
    this.result = options?.result;
  }
}

/** Returns the message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
