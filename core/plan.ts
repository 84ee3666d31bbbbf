/**
 * The upload plan: which files of a new version travel from the runner,
 * which are copied server side from the base version, and which are gone.
 * Decided by content (sha256 and mode), never by git's diff, so first
 * pushes, force pushes, shallow clones and re-runs all plan correctly.
 */

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

function skillOf(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? path : path.slice(0, slash);
}

/** Plans a new version of `files` against the base manifest, if any. */
export function planVersion(files: readonly LocalFile[], base: Manifest | null): Plan {
  const baseFiles = new Map((base?.files ?? []).map((file) => [file.path, file]));
  const upload: LocalFile[] = [];
  const copy: LocalFile[] = [];
  for (const file of files) {
    const previous = baseFiles.get(file.path);
    if (previous !== undefined && previous.sha256 === file.sha256 && previous.mode === file.mode) {
      copy.push(file);
    } else {
      upload.push(file);
    }
  }
  const current = new Set(files.map((file) => file.path));
  const remove = [...baseFiles.keys()].filter((path) => !current.has(path)).sort();

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
