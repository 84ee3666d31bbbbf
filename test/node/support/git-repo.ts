/**
 * Temporary git repositories for tests: write files (with modes and
 * symlinks), commit with a fixed author, message and date, and read back shas.
 * Git runs with no system or global configuration, so the results do not
 * depend on the machine.
 */

import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface CommitOptions {
  message?: string;
  author?: { name: string; email: string };
  /** ISO 8601, used for both author and committer time. */
  date?: string;
}

export interface GitRepo {
  /** Absolute path of the work tree. */
  root: string;
  /** Writes a file, creating folders; `mode` is applied with chmod (0o755 for executables). */
  write(path: string, content: string | Uint8Array, mode?: number): Promise<void>;
  symlink(path: string, target: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Runs git in the work tree and returns its standard output. */
  git(...args: string[]): Promise<string>;
  /** Stages everything (`git add -A`) and commits; returns the new sha. */
  commit(options?: CommitOptions): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_AUTHOR = { name: "Ada Lovelace", email: "ada@example.com" };
export const DEFAULT_DATE = "2026-01-02T03:04:05Z";

/** Environment for git that ignores system and user configuration. */
export function isolatedGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: tmpdir(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    LANG: "C",
    ...extra,
  };
}

export interface RepoOptions {
  /** Git's object format; `sha256` makes 64-digit object ids and commit shas. */
  objectFormat?: "sha1" | "sha256";
}

export async function createGitRepo(options: RepoOptions = {}): Promise<GitRepo> {
  const root = await mkdtemp(join(tmpdir(), "r2-skills-repo-"));
  const run = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const { stdout } = await execFileAsync("git", args, {
      cwd: root,
      env: isolatedGitEnv(env),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };
  await run([
    "init",
    "--quiet",
    "--initial-branch=main",
    `--object-format=${options.objectFormat ?? "sha1"}`,
  ]);
  await run(["config", "commit.gpgsign", "false"]);
  await run(["config", "core.autocrlf", "false"]);

  return {
    root,
    async write(path, content, mode) {
      const full = join(root, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
      if (mode !== undefined) await chmod(full, mode);
    },
    async symlink(path, target) {
      const full = join(root, path);
      await mkdir(dirname(full), { recursive: true });
      await symlink(target, full);
    },
    async remove(path) {
      await unlink(join(root, path));
    },
    git: (...args) => run(args),
    async commit(options = {}) {
      const author = options.author ?? DEFAULT_AUTHOR;
      const date = options.date ?? DEFAULT_DATE;
      const messageFile = join(root, ".git", "TEST_COMMIT_MESSAGE");
      await writeFile(messageFile, options.message ?? "Update skills");
      await run(["add", "-A"]);
      await run(
        [
          "commit",
          "--quiet",
          "--allow-empty",
          "--no-verify",
          "--cleanup=verbatim",
          "-F",
          messageFile,
        ],
        {
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: author.name,
          GIT_COMMITTER_EMAIL: author.email,
          GIT_COMMITTER_DATE: date,
        },
      );
      return (await run(["rev-parse", "HEAD"])).trim();
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
}
