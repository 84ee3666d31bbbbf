/**
 * Paths of files inside a version, relative to the version root
 * (`<skill>/<path>`). Every path that comes from a repository, a manifest or a
 * request passes `checkRelativePath` before it names an object key or a file,
 * so no path can escape the skills folder.
 */

import { quote } from "./ids.ts";

/** S3 and R2 limit object keys to 1024 bytes; the prefix and version take part of that. */
export const MAX_PATH_BYTES = 900;

const encoder = new TextEncoder();

/**
 * Returns why `path` is not a safe relative path, or `undefined` when it is.
 * A safe path is non-empty, uses `/` between non-empty segments, has no `.`
 * or `..` segment, no leading `/`, no backslash, no NUL or other control
 * character, and is at most `MAX_PATH_BYTES` bytes of UTF-8.
 */
export function checkRelativePath(path: string): string | undefined {
  if (path.length === 0) return "the path is empty";
  if (path.startsWith("/")) return "the path is absolute";
  if (path.includes("\\")) return "the path contains a backslash";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
  if (/[\u0000-\u001f\u007f]/.test(path)) return "the path contains a NUL or control character";
  if (encoder.encode(path).byteLength > MAX_PATH_BYTES) {
    return `the path is longer than ${MAX_PATH_BYTES} bytes`;
  }
  if (!path.isWellFormed()) return "the path contains an unpaired surrogate";
  for (const segment of path.split("/")) {
    if (segment === "") return "the path has an empty segment";
    if (segment === "." || segment === "..") return `the path has a "${segment}" segment`;
  }
  return undefined;
}

/** Checks a relative path and throws an error that names it and the reason. */
export function assertRelativePath(path: string, source = "path"): string {
  const reason = checkRelativePath(path);
  if (reason !== undefined) {
    throw new UnsafePathError(`Unsafe ${source} ${quote(path, 200)}: ${reason}`);
  }
  return path;
}

/** Joins a base folder (absolute or relative, `/`-separated) and a checked relative path. */
export function joinInside(base: string, relativePath: string): string {
  assertRelativePath(relativePath);
  const trimmed = base.endsWith("/") ? base.slice(0, -1) : base;
  return `${trimmed}/${relativePath}`;
}

/** A path could escape the folder it belongs in, or is otherwise unusable. */
export class UnsafePathError extends Error {
  override readonly name = "UnsafePathError";
}
