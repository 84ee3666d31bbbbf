/**
 * Reads a session's mounted skills folder the way an agent would: walks it,
 * and reads each skill's name and description from its SKILL.md.
 */

import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseFrontmatter } from "../core/frontmatter.ts";
import { comparePaths } from "../core/manifest.ts";

/** Lists every file under `root`, relative to it, `/`-separated and sorted. */
export async function listFiles(root: string, relative = ""): Promise<string[]> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else files.push(path);
  }
  return files.sort(comparePaths);
}

export interface MountedSkill {
  folder: string;
  name: string;
  description: string;
  /** Files of the skill, relative to its folder, with `*` after executables. */
  files: string[];
}

function field(text: string, key: string): string {
  const value = parseFrontmatter(text).fields.find((entry) => entry.key === key)?.value;
  return typeof value === "string" ? value : "(missing)";
}

/** Reads every skill under `root` through the file system. */
export async function readMountedSkills(root: string): Promise<MountedSkill[]> {
  const files = await listFiles(root);
  const skills = new Map<string, MountedSkill>();
  for (const path of files) {
    const slash = path.indexOf("/");
    if (slash === -1) continue;
    const folder = path.slice(0, slash);
    let skill = skills.get(folder);
    if (skill === undefined) {
      const text = await readFile(join(root, folder, "SKILL.md"), "utf8").catch(() => "");
      skill = {
        folder,
        name: field(text, "name"),
        description: field(text, "description"),
        files: [],
      };
      skills.set(folder, skill);
    }
    const executable = ((await stat(join(root, path))).mode & 0o111) !== 0;
    skill.files.push(`${path.slice(slash + 1)}${executable ? "*" : ""}`);
  }
  return [...skills.values()];
}

/** Formats skills as an indented listing for a terminal. */
export function formatSkills(skills: MountedSkill[]): string {
  const lines: string[] = [];
  for (const skill of skills) {
    lines.push(`  ${skill.name}: ${skill.description}`);
    for (const file of skill.files) lines.push(`      ${skill.folder}/${file}`);
  }
  lines.push("  (* marks executable files)");
  return lines.join("\n");
}
