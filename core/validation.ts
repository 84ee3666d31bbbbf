/**
 * Skill validation against the Agent Skills specification, before anything
 * is uploaded. Every problem in every skill is collected, each with its file
 * and line, so one run shows all of them.
 *
 * Two levels: `strict` accepts only the specification's fields; `claude-code`
 * also accepts the fields Claude Code reads. An unknown field is an error
 * under `strict` and a warning under `claude-code`.
 */

import { type FrontmatterField, normalizeLines, parseFrontmatter } from "./frontmatter.ts";
import { SKILL_NAME_PATTERN } from "./ids.ts";
import { comparePaths } from "./manifest.ts";
import { checkRelativePath } from "./paths.ts";

export type ValidationLevel = "strict" | "claude-code";
export const VALIDATION_LEVELS: readonly ValidationLevel[] = ["claude-code", "strict"];

export interface Problem {
  severity: "error" | "warning";
  /** Path shown to the user, such as `skills/pdf/SKILL.md`. */
  file: string;
  /** 1-based line, or 0 when the problem concerns the file as a whole. */
  line: number;
  message: string;
}

export const SKILL_FILE = "SKILL.md";
export const MAX_NAME_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_COMPATIBILITY_LENGTH = 500;
/** Bodies longer than this get a warning: the specification advises splitting them. */
export const RECOMMENDED_MAX_BODY_LINES = 500;
/** A SKILL.md larger than this is rejected: it is loaded whole into the model's context. */
export const MAX_SKILL_FILE_BYTES = 1024 * 1024;

type FieldCheck = (field: FrontmatterField) => string | undefined;

const isString: FieldCheck = (field) =>
  typeof field.value === "string"
    ? undefined
    : notAString(`"${field.key}"`, field.key, field.value, field.source);

const isBoolean: FieldCheck = (field) =>
  typeof field.value === "boolean"
    ? undefined
    : `"${field.key}" must be true or false, got ${describe(field.value, field.source)}`;

const isMapping: FieldCheck = (field) =>
  field.value !== null && typeof field.value === "object" && !Array.isArray(field.value)
    ? undefined
    : `"${field.key}" must be a mapping, got ${describe(field.value, field.source)}`;

/** Fields of the Agent Skills specification beyond `name` and `description`. */
const SPEC_FIELDS: Record<string, FieldCheck> = {
  license: isString,
  compatibility: (field) => {
    const problem = isString(field);
    if (problem) return problem;
    const value = field.value as string;
    if (value.length === 0 || value.length > MAX_COMPATIBILITY_LENGTH) {
      return `"compatibility" must be 1 to ${MAX_COMPATIBILITY_LENGTH} characters, got ${value.length}`;
    }
    return undefined;
  },
  "allowed-tools": isString,
  metadata: isMapping,
};

/** Fields Claude Code reads in addition to the specification's. */
const CLAUDE_CODE_FIELDS: Record<string, FieldCheck> = {
  "allowed-tools": (field) =>
    typeof field.value === "string" ||
    (Array.isArray(field.value) && field.value.every((item) => typeof item === "string"))
      ? undefined
      : `"allowed-tools" must be a string or a list of strings, got ${describe(field.value, field.source)}`,
  "argument-hint": isString,
  "disable-model-invocation": isBoolean,
  "user-invocable": isBoolean,
  model: isString,
  effort: isString,
  context: isString,
  agent: isString,
  hooks: isMapping,
};

/**
 * Describes a YAML value for a message. `source` is the value's text in the
 * file, so `1.0` shows as written rather than as the number 1.
 */
function describe(value: unknown, source?: string): string {
  if (value === null) return source === undefined || source === "" ? "an empty value" : "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `the ${typeof value} ${source ?? String(value)}`;
}

/**
 * Explains why a value that must be a string is not, with the line that
 * fixes it. YAML reads unquoted `1.0` as a number and `true` as a boolean,
 * so quoting fixes those. A list or mapping must be rewritten as one string.
 */
function notAString(label: string, key: string, value: unknown, source?: string): string {
  if (value === null && (source === undefined || source === "")) {
    return `${label} is empty: write a value after "${key}:", or remove the line`;
  }
  const problem = `${label} must be a string, got ${describe(value, source)}`;
  if (typeof value === "number" || typeof value === "boolean") {
    return `${problem}: quote it, as in ${key}: ${JSON.stringify(source ?? String(value))}`;
  }
  if (Array.isArray(value) && value.every((item) => typeof item !== "object" || item === null)) {
    return `${problem}: write the items as one string, as in ${key}: ${JSON.stringify(value.join(", "))}`;
  }
  return `${problem}: write one quoted string instead`;
}

/** Returns why `name` is not a valid skill name, or `undefined` when it is. */
export function checkSkillName(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    return `must be 1 to ${MAX_NAME_LENGTH} characters, got ${name.length}`;
  }
  if (!SKILL_NAME_PATTERN.test(name)) {
    return "must use only lowercase letters a-z, digits and single hyphens, and must not start or end with a hyphen";
  }
  return undefined;
}

export interface SkillFileInput {
  /** The skill's folder name. */
  folder: string;
  /** Path shown in problems, such as `skills/pdf/SKILL.md`. */
  file: string;
  text: string;
  /** Size of the file in bytes. */
  size: number;
  level: ValidationLevel;
}

export interface SkillFileResult {
  problems: Problem[];
  name?: string;
  description?: string;
}

/** Validates one SKILL.md. */
export function validateSkillFile(input: SkillFileInput): SkillFileResult {
  const { file, folder, level } = input;
  const problems: Problem[] = [];
  const error = (line: number, message: string): void => {
    problems.push({ severity: "error", file, line, message });
  };
  const warning = (line: number, message: string): void => {
    problems.push({ severity: "warning", file, line, message });
  };
  if (input.size > MAX_SKILL_FILE_BYTES) {
    error(
      0,
      `SKILL.md is ${input.size} bytes, over the limit of ${MAX_SKILL_FILE_BYTES}; move detail into files under references/`,
    );
    return { problems };
  }
  const frontmatter = parseFrontmatter(input.text);
  for (const problem of frontmatter.errors) error(problem.line, problem.message);
  if (frontmatter.errors.length > 0) return { problems };

  const result: SkillFileResult = { problems };
  const byKey = new Map(frontmatter.fields.map((field) => [field.key, field]));

  const name = byKey.get("name");
  if (name === undefined) {
    error(1, `Missing required field "name": add "name: ${folder}" to the frontmatter`);
  } else if (name.value === null && (name.source ?? "") === "") {
    error(name.line, `"name" is empty: write "name: ${folder}", the skill's folder name`);
  } else if (typeof name.value !== "string") {
    error(name.line, isString(name) ?? "");
  } else {
    const reason = checkSkillName(name.value);
    if (reason !== undefined) {
      error(name.line, `Invalid name ${JSON.stringify(name.value)}: ${reason}`);
    } else if (name.value !== folder) {
      error(
        name.line,
        `The name ${JSON.stringify(name.value)} must equal the folder name ${JSON.stringify(folder)}: rename one of them`,
      );
    } else {
      result.name = name.value;
    }
  }

  const description = byKey.get("description");
  if (description === undefined) {
    error(1, 'Missing required field "description": say what the skill does and when to use it');
  } else if (
    (description.value === null && (description.source ?? "") === "") ||
    (typeof description.value === "string" && description.value.trim().length === 0)
  ) {
    error(
      description.line,
      `"description" is empty: say what the skill does and when to use it, in 1 to ${MAX_DESCRIPTION_LENGTH} characters`,
    );
  } else if (typeof description.value !== "string") {
    error(description.line, isString(description) ?? "");
  } else if (description.value.length > MAX_DESCRIPTION_LENGTH) {
    error(
      description.line,
      `"description" must be 1 to ${MAX_DESCRIPTION_LENGTH} characters, got ${description.value.length}`,
    );
  } else {
    result.description = description.value;
  }

  for (const field of frontmatter.fields) {
    if (field.key === "name" || field.key === "description") continue;
    const check =
      level === "claude-code"
        ? (CLAUDE_CODE_FIELDS[field.key] ?? SPEC_FIELDS[field.key])
        : SPEC_FIELDS[field.key];
    if (check === undefined) {
      const message =
        level === "strict"
          ? `Unknown field "${field.key}": the Agent Skills specification allows name, description, license, compatibility, metadata and allowed-tools (use validation "claude-code" to accept Claude Code's fields)`
          : `Unknown field "${field.key}": neither the Agent Skills specification nor Claude Code reads it`;
      if (level === "strict") error(field.line, message);
      else warning(field.line, message);
      continue;
    }
    const problem = check(field);
    if (problem !== undefined) {
      error(field.line, problem);
      continue;
    }
    if (field.key === "metadata") {
      for (const [key, value] of Object.entries(field.value as Record<string, unknown>)) {
        if (typeof value !== "string") {
          error(
            field.childLines.get(key) ?? field.line,
            notAString(`"metadata.${key}"`, key, value, field.childSources.get(key)),
          );
        }
      }
    }
  }

  const bodyLines = normalizeLines(frontmatter.body).length;
  if (frontmatter.body.trim().length === 0) {
    warning(frontmatter.bodyLine, "SKILL.md has no instructions after the frontmatter");
  } else if (bodyLines > RECOMMENDED_MAX_BODY_LINES) {
    warning(
      frontmatter.bodyLine,
      `The body is ${bodyLines} lines; keep it under ${RECOMMENDED_MAX_BODY_LINES} and move detail into referenced files`,
    );
  }
  return result;
}

export interface TreeInput {
  /** Display prefix for paths, such as `skills`. */
  root: string;
  /** Every file under the skills folder, relative to it, `/`-separated. */
  paths: string[];
}

/**
 * Checks the shape of the skills tree: every path is safe, every folder is a
 * skill with a SKILL.md, and no two paths collide on a case-insensitive or
 * Unicode-normalizing file system. Returns the skill folders found.
 */
export function validateTree(input: TreeInput): { problems: Problem[]; skills: string[] } {
  const problems: Problem[] = [];
  const display = (path: string): string => (input.root ? `${input.root}/${path}` : path);
  const folders = new Map<string, boolean>();
  for (const path of input.paths) {
    const reason = checkRelativePath(path);
    if (reason !== undefined) {
      problems.push({
        severity: "error",
        file: display(path),
        line: 0,
        message: `Unsafe path: ${reason}; rename the file`,
      });
      continue;
    }
    const slash = path.indexOf("/");
    if (slash === -1) {
      problems.push({
        severity: "warning",
        file: display(path),
        line: 0,
        message: "This file is not inside a skill folder and is not published",
      });
      continue;
    }
    const folder = path.slice(0, slash);
    const hasSkillFile = path === `${folder}/${SKILL_FILE}`;
    folders.set(folder, (folders.get(folder) ?? false) || hasSkillFile);
  }
  for (const [folder, hasSkillFile] of folders) {
    if (!hasSkillFile) {
      problems.push({
        severity: "error",
        file: display(folder),
        line: 0,
        message: `The folder has no ${SKILL_FILE}: add one, or move the folder out of ${input.root || "the skills folder"}`,
      });
    }
  }
  problems.push(...findCollisions(input.paths, display));
  const skills = [...folders]
    .filter(([, ok]) => ok)
    .map(([folder]) => folder)
    .sort();
  return { problems, skills };
}

function findCollisions(paths: string[], display: (path: string) => string): Problem[] {
  const problems: Problem[] = [];
  const byNormalized = new Map<string, string>();
  const byFolded = new Map<string, string>();
  for (const path of [...paths].sort()) {
    const normalized = path.normalize("NFC");
    const previous = byNormalized.get(normalized);
    if (previous !== undefined && previous !== path) {
      problems.push({
        severity: "error",
        file: display(path),
        line: 0,
        message: `The name differs from ${JSON.stringify(display(previous))} only by Unicode normalization; rename one of them`,
      });
      continue;
    }
    byNormalized.set(normalized, path);
    const folded = normalized.toLowerCase();
    const sameButCase = byFolded.get(folded);
    if (sameButCase !== undefined && sameButCase !== path) {
      problems.push({
        severity: "warning",
        file: display(path),
        line: 0,
        message: `The name differs from ${JSON.stringify(display(sameButCase))} only by case; the two collide on macOS and Windows checkouts`,
      });
    }
    byFolded.set(folded, path);
  }
  return problems;
}

/** Sorts problems by file, then line, errors first. */
export function sortProblems(problems: Problem[]): Problem[] {
  const rank = (problem: Problem): number => (problem.severity === "error" ? 0 : 1);
  return [...problems].sort(
    (a, b) => comparePaths(a.file, b.file) || a.line - b.line || rank(a) - rank(b),
  );
}

/** Formats a problem as `file:line: severity: message`. */
export function formatProblem(problem: Problem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}` : problem.file;
  return `${where}: ${problem.severity}: ${problem.message}`;
}
