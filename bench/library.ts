/**
 * Generated skill libraries: a temporary git repository with a `skills/`
 * folder of valid skills, built from a fixed seed. Most files are small
 * Markdown references (1 to 20 KB), about 10 % are executable scripts and
 * about 3 % are binary assets of 100 to 500 KB.
 */

import { join } from "node:path";
import { createGitRepo, type GitRepo } from "../test/node/support/git-repo.ts";
import { createRandom, type Random } from "./random.ts";

export const SKILLS_PATH = "skills";

/** Files per skill folder, SKILL.md included. */
const FILES_PER_SKILL = 25;
const SCRIPT_SHARE = 0.1;
const BINARY_SHARE = 0.03;
const WRITE_BATCH = 64;

const WORDS = [
  "request",
  "response",
  "schema",
  "version",
  "review",
  "migration",
  "table",
  "index",
  "commit",
  "branch",
  "release",
  "change",
  "error",
  "status",
  "client",
  "server",
  "cache",
  "token",
  "header",
  "payload",
  "query",
  "column",
  "record",
  "field",
  "check",
  "rule",
  "input",
  "output",
  "report",
  "format",
  "limit",
  "retry",
];

export interface Library {
  /** Absolute path of the git work tree. */
  root: string;
  /** Absolute path of the skills folder inside it. */
  skillsDirectory: string;
  files: number;
  skills: number;
  /** Paths of every skill's SKILL.md, relative to the skills folder. */
  skillFiles: string[];
  bytes: number;
  /** Sha of the last commit. */
  head: string;
  /** Path of the file `changeOneFile` rewrites, relative to the skills folder. */
  changedPath: string;
  /**
   * Appends a line to one reference file and commits. Returns the file's new
   * size in bytes, the least an incremental publish has to upload.
   */
  changeOneFile(revision: number): Promise<number>;
  close(): Promise<void>;
}

interface GeneratedFile {
  path: string;
  content: Uint8Array | string;
  mode: number;
}

function sentence(random: Random): string {
  const length = random.integer(6, 16);
  const words: string[] = [];
  for (let i = 0; i < length; i++) words.push(random.pick(WORDS));
  const text = words.join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function paragraphs(random: Random, targetBytes: number): string {
  let text = "";
  while (text.length < targetBytes) {
    text += `${sentence(random)} ${sentence(random)} ${sentence(random)}\n\n`;
  }
  return text;
}

function skillFile(name: string, random: Random): string {
  return [
    "---",
    `name: ${name}`,
    `description: ${sentence(random)} Use when a task needs ${random.pick(WORDS)} ${random.pick(WORDS)} checks.`,
    "---",
    "",
    `# ${name}`,
    "",
    paragraphs(random, 800),
  ].join("\n");
}

function otherFile(skill: string, index: number, random: Random): GeneratedFile {
  const roll = random.next();
  if (roll < BINARY_SHARE) {
    return {
      path: `${skill}/assets/asset-${index}.bin`,
      content: random.bytes(random.integer(100, 500) * 1024),
      mode: 0o644,
    };
  }
  if (roll < BINARY_SHARE + SCRIPT_SHARE) {
    const body = paragraphs(random, random.integer(1, 8) * 1024)
      .split("\n")
      .map((line) => (line ? `# ${line}` : ""))
      .join("\n");
    return {
      path: `${skill}/scripts/tool-${index}.sh`,
      content: `#!/bin/sh\n${body}\necho ${skill}-${index}\n`,
      mode: 0o755,
    };
  }
  return {
    path: `${skill}/references/topic-${index}.md`,
    content: `# Topic ${index}\n\n${paragraphs(random, random.integer(1, 20) * 1024)}`,
    mode: 0o644,
  };
}

/** Lists the files of a library of `count` files, the same for the same seed. */
export function generateFiles(count: number, seed: number): GeneratedFile[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Invalid library size ${count}: expected a whole number of files >= 1`);
  }
  const random = createRandom(seed);
  const skillCount = Math.max(1, Math.round(count / FILES_PER_SKILL));
  const skills = Array.from(
    { length: skillCount },
    (_, i) => `skill-${String(i).padStart(4, "0")}`,
  );
  const files: GeneratedFile[] = skills.map((name) => ({
    path: `${name}/SKILL.md`,
    content: skillFile(name, random),
    mode: 0o644,
  }));
  for (let index = 0; files.length < count; index++) {
    const skill = skills[index % skillCount] ?? "skill-0000";
    files.push(otherFile(skill, index, random));
  }
  return files;
}

function byteLength(content: Uint8Array | string): number {
  return typeof content === "string" ? Buffer.byteLength(content) : content.byteLength;
}

/** Writes a library of `count` files into a new git repository and commits it. */
export async function createLibrary(count: number, seed: number): Promise<Library> {
  const files = generateFiles(count, seed);
  const repo: GitRepo = await createGitRepo();
  try {
    for (let start = 0; start < files.length; start += WRITE_BATCH) {
      const batch = files.slice(start, start + WRITE_BATCH);
      await Promise.all(
        batch.map((file) => repo.write(`${SKILLS_PATH}/${file.path}`, file.content, file.mode)),
      );
    }
    let head = await repo.commit({ message: `Add ${count} generated files` });
    const changed = files.find((file) => file.path.includes("/references/")) ?? files[0];
    if (changed === undefined) throw new Error("The generated library has no files");
    let changedContent = String(changed.content);
    const skillFiles = files.map((file) => file.path).filter((path) => path.endsWith("/SKILL.md"));
    const library: Library = {
      root: repo.root,
      skillsDirectory: join(repo.root, SKILLS_PATH),
      files: files.length,
      skills: skillFiles.length,
      skillFiles,
      bytes: files.reduce((sum, file) => sum + byteLength(file.content), 0),
      head,
      changedPath: changed.path,
      async changeOneFile(revision) {
        changedContent += `\nRevision ${revision}.\n`;
        await repo.write(`${SKILLS_PATH}/${changed.path}`, changedContent, changed.mode);
        head = await repo.commit({ message: `Revise ${changed.path} (${revision})` });
        library.head = head;
        return Buffer.byteLength(changedContent);
      },
      close: () => repo.close(),
    };
    return library;
  } catch (error: unknown) {
    await repo.close();
    throw error;
  }
}
