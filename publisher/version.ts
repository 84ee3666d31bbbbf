/**
 * The version id and commit details of what is being published. In commit
 * mode the version is HEAD's sha. In working-tree mode it is HEAD's sha when
 * the files under the skills folder equal HEAD's, else `local-` and 24 hex
 * digits of a digest over the sorted (path, mode, sha256) list.
 */

import { createHash } from "node:crypto";
import { localVersionId } from "../core/ids.ts";
import { type CommitInfo, comparePaths } from "../core/manifest.ts";
import type { LocalFile } from "../core/plan.ts";
import { readCommit } from "./git.ts";
import { collectCommitTree, hashEntries } from "./source-tree.ts";
import { normalizeSkillsPath } from "./validate.ts";

export interface VersionInfo {
  version: string;
  commit: CommitInfo;
}

/** Returns the SHA-256 over the sorted (path, mode, sha256) list of `files`. */
export function contentDigest(files: readonly LocalFile[]): string {
  const rows = [...files]
    .sort((a, b) => comparePaths(a.path, b.path))
    .map((file) => [file.path, file.mode, file.sha256]);
  return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
}

function sameFiles(a: readonly LocalFile[], b: readonly LocalFile[]): boolean {
  return contentDigest(a) === contentDigest(b);
}

/**
 * Resolves the version of the files collected from `root` in `mode`, where
 * `sha` is HEAD's commit as read once for the whole publish (`null` without
 * commits). Only working-tree mode needs the files' digests, so only it
 * calls `hashFiles`.
 */
export async function resolveVersion(
  root: string,
  skillsPath: string,
  mode: "commit" | "working-tree",
  hashFiles: () => Promise<readonly LocalFile[]>,
  sha: string | null,
  now: Date = new Date(),
): Promise<VersionInfo> {
  if (sha !== null) {
    const head = await readCommit(root, sha);
    const clean: VersionInfo = { version: sha, commit: { ...head, dirty: false } };
    if (mode === "commit") return clean;
    const files = await hashFiles();
    const headTree = await collectCommitTree(root, normalizeSkillsPath(skillsPath), sha);
    // Compare only files inside skill folders, as `validateSkills` returns them.
    const headFiles = await hashEntries(
      headTree.entries.filter((entry) => entry.path.includes("/")),
    );
    if (sameFiles(headFiles, files)) return clean;
    return {
      version: localVersionId(contentDigest(files)),
      // An uncommitted tree has no commit time of its own; the publish time
      // orders it after the commit it is based on.
      commit: { ...head, timestamp: now.toISOString(), dirty: true },
    };
  }
  const files = await hashFiles();
  return {
    version: localVersionId(contentDigest(files)),
    commit: {
      sha: null,
      message: "",
      author: { name: "", email: "" },
      timestamp: now.toISOString(),
      dirty: true,
    },
  };
}
