/**
 * Symlink policy: a symlink whose target resolves to a file inside the skills
 * folder is published as a regular file with the target's bytes and mode, so
 * the snapshot works on any file system. A symlink that points outside the
 * skills folder (or is absolute), that points to a folder, that is dangling,
 * or that is part of a loop is a validation error: publishing it would leak
 * or lose content.
 */

import { posix } from "node:path";

/** Hops followed before a chain of symlinks counts as a loop (Linux's limit). */
const MAX_HOPS = 40;

export type LinkTarget<T> = { ok: true; path: string; entry: T } | { ok: false; reason: string };

export interface LinkLookup<T> {
  /** The entry at a path relative to the skills folder, if any. */
  entry(path: string): T | undefined;
  /** The target text when the entry is itself a symlink. */
  linkTarget(entry: T): string | undefined;
  /** Whether some entry lies under `path/`. */
  isFolder(path: string): boolean;
}

/** Resolves the symlink at `path` (relative to the skills folder) to a regular file. */
export function resolveLink<T>(path: string, target: string, lookup: LinkLookup<T>): LinkTarget<T> {
  let from = path;
  let text = target;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (posix.isAbsolute(text)) {
      return { ok: false, reason: `its target ${JSON.stringify(text)} is an absolute path` };
    }
    const resolved = posix.normalize(posix.join(posix.dirname(from), text));
    if (resolved === ".." || resolved.startsWith("../") || resolved === ".") {
      return {
        ok: false,
        reason: `its target ${JSON.stringify(target)} is outside the skills folder`,
      };
    }
    const entry = lookup.entry(resolved);
    if (entry === undefined) {
      if (lookup.isFolder(resolved)) {
        return {
          ok: false,
          reason: `its target ${JSON.stringify(target)} is a folder; only links to files are published`,
        };
      }
      return {
        ok: false,
        reason: `its target ${JSON.stringify(target)} does not exist (or git does not track it)`,
      };
    }
    const next = lookup.linkTarget(entry);
    if (next === undefined) return { ok: true, path: resolved, entry };
    from = resolved;
    text = next;
  }
  return { ok: false, reason: `it is part of a symlink loop (more than ${MAX_HOPS} links)` };
}
