/**
 * Facts about the git repository around the skills folder: its root, the
 * GitHub repository of its origin remote and the current branch.
 */

import { execFile } from "node:child_process";
import { realpath, stat } from "node:fs/promises";
import { relative, sep } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface RepositoryInfo {
  /** Absolute path of the work tree. */
  root: string;
  /** The skills folder relative to `root`, `/`-separated; `""` for the root itself. */
  skillsPath: string;
  /** `owner/name` of a GitHub origin remote, or `null`. */
  repository: string | null;
  /** `refs/heads/<branch>`, or `null` on a detached HEAD. */
  ref: string | null;
}

/** A skills folder that is missing or not inside a git work tree. */
export class RepositoryError extends Error {
  override readonly name = "RepositoryError";
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync("git", args, { cwd });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * Finds the repository that contains `skillsFolder` (an absolute path).
 * `fix` ends the message when the folder is missing or a file, and names the
 * argument, flag or variable that gave the folder.
 */
export async function findRepository(
  skillsFolder: string,
  fix = "pass the folder that contains the skills with --skills-path",
): Promise<RepositoryInfo> {
  let folder: string;
  try {
    folder = await realpath(skillsFolder);
  } catch (error: unknown) {
    throw new RepositoryError(`Skills folder ${JSON.stringify(skillsFolder)} not found: ${fix}`, {
      cause: error,
    });
  }
  if (!(await stat(folder)).isDirectory()) {
    throw new RepositoryError(
      `Skills folder ${JSON.stringify(skillsFolder)} is a file, not a folder: ${fix}`,
    );
  }
  const top = await git(folder, ["rev-parse", "--show-toplevel"]);
  if (top === undefined || top === "") {
    throw new RepositoryError(
      `Skills folder ${JSON.stringify(skillsFolder)} is not inside a git repository: run "git init" there, or pass a folder of a git work tree`,
    );
  }
  const root = await realpath(top);
  const inside = relative(root, folder);
  const skillsPath = inside.split(sep).join("/");
  const remote = await git(root, ["config", "--get", "remote.origin.url"]);
  const branch = await git(root, ["symbolic-ref", "--quiet", "HEAD"]);
  return {
    root,
    skillsPath,
    repository: remote === undefined ? null : githubRepository(remote),
    ref: branch === undefined || branch === "" ? null : branch,
  };
}

/** Returns `owner/name` of a GitHub remote URL (https, ssh or scp-like), or `null`. */
export function githubRepository(remote: string): string | null {
  const match = /github\.com[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(remote);
  if (match === null) return null;
  return `${match[1]}/${match[2]}`;
}
