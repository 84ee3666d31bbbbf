/**
 * Validates the skills folder before anything is written: the tree's shape
 * (core `validateTree`), symlinks and submodules (`source-tree.ts`) and every
 * SKILL.md (core `validateSkillFile`). Used by `publish` and by
 * `r2-skills validate`.
 */

import {
  MAX_SKILL_FILE_BYTES,
  type Problem,
  SKILL_FILE,
  sortProblems,
  type ValidationLevel,
  validateSkillFile,
  validateTree,
} from "../core/validation.ts";
import { PublishError } from "./errors.ts";
import { assertWorkTree, headSha } from "./git.ts";
import { parseSkillsPath } from "./input-checks.ts";
import { collectCommitTree, collectWorkingTree, type SourceEntry } from "./source-tree.ts";
import type { SourceSettings } from "./types.ts";

export interface ValidateInput {
  repositoryRoot: string;
  skillsPath: string;
  mode: SourceSettings["mode"];
  level: ValidationLevel;
  /** In commit mode, the sha of the commit to validate; HEAD when unset. */
  commit?: string;
}

export interface ValidatedSkill {
  name: string;
  description: string;
}

export interface ValidateResult {
  /** Errors and warnings, sorted by file and line. */
  problems: Problem[];
  skills: ValidatedSkill[];
  /** Files of the skills found, relative to the skills folder, sorted by path; not read yet. */
  entries: SourceEntry[];
}

/** Returns `true` when any problem is an error. */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === "error");
}

/**
 * Normalizes a skills path to `/`-separated form without leading or trailing
 * `/` (`""` for the repository root) and checks it is safe.
 */
export function normalizeSkillsPath(skillsPath: string): string {
  const result = parseSkillsPath(skillsPath.trim().replace(/^\/+/, ""));
  if ("reason" in result) {
    throw new PublishError(
      "invalid-settings",
      `Invalid skills path ${JSON.stringify(skillsPath)}: ${result.reason}`,
    );
  }
  return result.value;
}

/** Validates the skills under `skillsPath` and returns the files that would be published. */
export async function validateSkills(input: ValidateInput): Promise<ValidateResult> {
  const skillsPath = normalizeSkillsPath(input.skillsPath);
  await assertWorkTree(input.repositoryRoot);
  if (
    input.mode === "commit" &&
    input.commit === undefined &&
    (await headSha(input.repositoryRoot)) === null
  ) {
    throw new PublishError(
      "git",
      `The repository at ${input.repositoryRoot} has no commits: commit the skills first, or publish the working tree (working-tree mode)`,
    );
  }
  const tree =
    input.mode === "commit"
      ? await collectCommitTree(input.repositoryRoot, skillsPath, input.commit)
      : await collectWorkingTree(input.repositoryRoot, skillsPath);
  const shape = validateTree({ root: skillsPath, paths: tree.paths });
  const problems: Problem[] = [...tree.problems, ...shape.problems];
  const display = (path: string): string => (skillsPath === "" ? path : `${skillsPath}/${path}`);

  if (shape.skills.length === 0) {
    problems.push({
      severity: "error",
      file: skillsPath === "" ? "." : skillsPath,
      line: 0,
      message: `No skills found: expected folders with a ${SKILL_FILE} under ${JSON.stringify(skillsPath || ".")}; check the skills path`,
    });
  }

  const byPath = new Map(tree.entries.map((entry) => [entry.path, entry]));
  const skills: ValidatedSkill[] = [];
  for (const folder of shape.skills) {
    const path = `${folder}/${SKILL_FILE}`;
    const entry = byPath.get(path);
    // A SKILL.md that is a broken symlink already has its problem.
    if (entry === undefined) continue;
    if (entry.size > MAX_SKILL_FILE_BYTES) {
      // Too large to publish, so not worth reading into memory.
      const result = validateSkillFile({
        folder,
        file: display(path),
        text: "",
        size: entry.size,
        level: input.level,
      });
      problems.push(...result.problems);
      continue;
    }
    const bytes = await entry.read();
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (error: unknown) {
      if (error instanceof PublishError) throw error;
      problems.push({
        severity: "error",
        file: display(path),
        line: 0,
        message: `${SKILL_FILE} is not valid UTF-8: save it as UTF-8`,
      });
      continue;
    }
    const result = validateSkillFile({
      folder,
      file: display(path),
      text,
      size: bytes.byteLength,
      level: input.level,
    });
    problems.push(...result.problems);
    if (result.name !== undefined && result.description !== undefined) {
      skills.push({ name: result.name, description: result.description });
    }
  }

  const skillFolders = new Set(shape.skills);
  const entries = tree.entries.filter((entry) => skillFolders.has(entry.path.split("/")[0] ?? ""));
  return { problems: sortProblems(problems), skills, entries };
}
