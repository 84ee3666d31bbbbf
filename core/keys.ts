/**
 * The bucket layout, under an optional root prefix:
 *
 * - `versions/<version>/<skill>/<path>`: the complete, immutable snapshot
 * - `manifests/<version>.json`: written last; a version without one is incomplete
 * - `heads/<channel>.json`: the last version published to a channel
 */

import { assertChannel, assertVersionId, quote } from "./ids.ts";
import { assertRelativePath, checkRelativePath } from "./paths.ts";

/**
 * Normalizes a root prefix to `""` or `a/b/`: surrounding slashes are
 * dropped and one trailing slash is added. Throws when a segment is empty,
 * `.` or `..`, or the prefix contains a backslash or control character.
 */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").trim().replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  const reason = checkRelativePath(trimmed);
  if (reason !== undefined) {
    throw new RangeError(
      `Invalid prefix ${quote(prefix)}: ${reason}; use "" or a path such as "skills" or "team/skills"`,
    );
  }
  return `${trimmed}/`;
}

/** S3's and R2's limit on an object key, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** Returns the key's length in bytes of UTF-8, as S3 counts it. */
export function keyBytes(key: string): number {
  return new TextEncoder().encode(key).byteLength;
}

/** Returns the key prefix of a version's snapshot, ending in `/`. */
export function versionPrefix(root: string, version: string): string {
  return `${root}versions/${assertVersionId(version)}/`;
}

/** Returns the key of one file of a version, where `path` is `<skill>/<path>`. */
export function objectKey(root: string, version: string, path: string): string {
  return `${versionPrefix(root, version)}${assertRelativePath(path)}`;
}

/** Returns the key of a version's manifest. */
export function manifestKey(root: string, version: string): string {
  return `${root}manifests/${assertVersionId(version)}.json`;
}

/** Returns the key of a channel's head. */
export function headKey(root: string, channel: string): string {
  return `${root}heads/${assertChannel(channel)}.json`;
}

/** Returns the key prefix of every manifest. */
export function manifestsPrefix(root: string): string {
  return `${root}manifests/`;
}
