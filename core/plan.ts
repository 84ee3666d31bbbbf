/**
 * The upload plan: which files of a new version travel from the runner,
 * which are copied server side from the base version, and which are gone.
 * Decided by content (sha256 and mode), never by git's diff, so first
 * pushes, force pushes, shallow clones and re-runs all plan correctly.
 */

import { contentTypeOf } from "./content-type.ts";
import { comparePaths, type Manifest } from "./manifest.ts";

export interface LocalFile {
  /** `<skill>/<path>`, relative to the skills folder. */
  path: string;
  size: number;
  sha256: string;
  mode: number;
}

export type SkillStatus = "added" | "changed" | "removed" | "unchanged";

export interface SkillChange {
  name: string;
  status: SkillStatus;
  files: number;
  bytes: number;
  /** Bytes of this skill that travel from the runner. */
  uploadBytes: number;
}

export interface Plan {
  /** The version planned against, or `null` when everything is uploaded. */
  base: string | null;
  /** New and changed files. */
  upload: LocalFile[];
  /** Unchanged files, copied from the base version inside the bucket. */
  copy: LocalFile[];
  /** Paths of the base that the new version no longer has. */
  remove: string[];
  skills: SkillChange[];
}

/** Lookups into the base manifest that decide, file by file, what a new version writes. */
export interface BaseIndex {
  /** The base version, or `null` when every file is uploaded. */
  version: string | null;
  /**
   * Returns `true` when the base has the file's path with the same sha256,
   * mode and content type (a copy keeps the base object's content type).
   */
  isUnchanged(file: LocalFile): boolean;
  /**
   * Returns a path of the base whose sha256, mode and content type equal the
   * file's, for a renamed or duplicated file. The content type must match
   * because a server-side copy keeps the source's.
   */
  findContent(file: LocalFile): string | undefined;
}

/** The action a new version takes for one file. */
export type FileAction =
  /** Copy the base object at `from` inside the bucket. */
  | { kind: "copy"; from: string }
  /** Upload the bytes from the runner. */
  | { kind: "upload" };

function contentKey(sha256: string, mode: number, contentType: string): string {
  return `${sha256}:${mode}:${contentType}`;
}

/** Indexes the base manifest by path and by content. */
export function indexBase(base: Manifest | null): BaseIndex {
  const byPath = new Map((base?.files ?? []).map((file) => [file.path, file]));
  const byContent = new Map<string, string>();
  for (const file of base?.files ?? []) {
    byContent.set(contentKey(file.sha256, file.mode, file.contentType), file.path);
  }
  return {
    version: base?.version ?? null,
    isUnchanged(file) {
      const previous = byPath.get(file.path);
      return (
        previous !== undefined &&
        previous.sha256 === file.sha256 &&
        previous.mode === file.mode &&
        previous.contentType === contentTypeOf(file.path)
      );
    },
    findContent(file) {
      return byContent.get(contentKey(file.sha256, file.mode, contentTypeOf(file.path)));
    },
  };
}

/**
 * Decides one file: copy it from the same path of the base when unchanged,
 * from another path of the base when that has the same content, else upload.
 */
export function decideFile(file: LocalFile, base: BaseIndex): FileAction {
  if (base.version === null) return { kind: "upload" };
  if (base.isUnchanged(file)) return { kind: "copy", from: file.path };
  const from = base.findContent(file);
  return from === undefined ? { kind: "upload" } : { kind: "copy", from };
}

/**
 * Returns the planned uploads that `decideFile` copies from another path of
 * the base (renamed or duplicated files): the source path by new path.
 */
export function findRenamed(plan: Plan, base: BaseIndex): Map<string, string> {
  const renamed = new Map<string, string>();
  for (const file of plan.upload) {
    const action = decideFile(file, base);
    if (action.kind === "copy") renamed.set(file.path, action.from);
  }
  return renamed;
}

function skillOf(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? path : path.slice(0, slash);
}

/** Plans a new version of `files` against the base manifest, if any. */
export function planVersion(files: readonly LocalFile[], base: Manifest | null): Plan {
  const index = indexBase(base);
  const upload: LocalFile[] = [];
  const copy: LocalFile[] = [];
  for (const file of files) {
    if (index.isUnchanged(file)) copy.push(file);
    else upload.push(file);
  }
  const current = new Set(files.map((file) => file.path));
  const remove = (base?.files ?? [])
    .map((file) => file.path)
    .filter((path) => !current.has(path))
    .sort();

  const skills = new Map<string, SkillChange>();
  const entry = (name: string): SkillChange => {
    let change = skills.get(name);
    if (change === undefined) {
      change = { name, status: "unchanged", files: 0, bytes: 0, uploadBytes: 0 };
      skills.set(name, change);
    }
    return change;
  };
  const baseSkills = new Set((base?.skills ?? []).map((skill) => skill.name));
  for (const file of copy) {
    const change = entry(skillOf(file.path));
    change.files += 1;
    change.bytes += file.size;
  }
  for (const file of upload) {
    const change = entry(skillOf(file.path));
    change.files += 1;
    change.bytes += file.size;
    change.uploadBytes += file.size;
    change.status = "changed";
  }
  for (const path of remove) {
    const name = skillOf(path);
    if (current.has(path)) continue;
    const change = skills.get(name);
    if (change !== undefined) change.status = "changed";
  }
  for (const change of skills.values()) {
    if (!baseSkills.has(change.name)) change.status = "added";
  }
  for (const name of baseSkills) {
    if (!skills.has(name))
      skills.set(name, { name, status: "removed", files: 0, bytes: 0, uploadBytes: 0 });
  }
  return {
    base: base?.version ?? null,
    upload,
    copy,
    remove,
    skills: [...skills.values()].sort((a, b) => comparePaths(a.name, b.name)),
  };
}
