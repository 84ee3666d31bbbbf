/**
 * The git commands the publisher runs, with NUL-separated output so any file
 * name comes through unquoted. Pathspecs are literal (`GIT_LITERAL_PATHSPECS`),
 * so a skills folder named `*` or `[a]` means just that folder.
 */

import { execFile, spawn } from "node:child_process";
import { PublishError } from "./errors.ts";

const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_LITERAL_PATHSPECS: "1", GIT_OPTIONAL_LOCKS: "0" };
}

function missingGit(cause: Error): PublishError {
  return new PublishError(
    "git",
    "git was not found on PATH: install git, or add its folder to PATH",
    { cause },
  );
}

/** Runs git in `root` and returns its standard output; throws `PublishError` on failure. */
export function runGit(root: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd: root, env: gitEnv(), encoding: "buffer", maxBuffer: MAX_OUTPUT_BYTES },
      (error, stdout, stderr) => {
        if (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            reject(missingGit(error));
            return;
          }
          const detail = stderr.toString("utf8").trim() || error.message;
          reject(
            new PublishError("git", `git ${args[0] ?? ""} failed in ${root}: ${detail}`, {
              cause: error,
            }),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** Checks that `root` is inside a git work tree. */
export async function assertWorkTree(root: string): Promise<void> {
  try {
    await runGit(root, ["rev-parse", "--is-inside-work-tree"]);
  } catch (error: unknown) {
    throw new PublishError(
      "git",
      `${root} is not a git work tree: run from a clone of the repository (in the Action, run actions/checkout first)`,
      { cause: error },
    );
  }
}

/** Returns HEAD's commit sha, or `null` in a repository without commits. */
export async function headSha(root: string): Promise<string | null> {
  try {
    const output = await runGit(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
    return output.toString("utf8").trim();
  } catch {
    return null;
  }
}

export interface CommitDetails {
  sha: string;
  /** The full message, exactly as stored in the commit object. */
  message: string;
  author: { name: string; email: string };
  /** Committer time, ISO 8601 with the committer's offset. */
  timestamp: string;
}

/** Reads a commit's author, committer time and full message. */
export async function readCommit(root: string, sha: string): Promise<CommitDetails> {
  const fields = (await runGit(root, ["show", "--no-patch", "--format=%an%x00%ae%x00%cI", sha]))
    .toString("utf8")
    .replace(/\n$/, "")
    .split("\0");
  // `--format=%B` appends a line end, so the message is read from the raw
  // commit object, which contains it byte for byte.
  const raw = (await runGit(root, ["cat-file", "commit", sha])).toString("utf8");
  const headerEnd = raw.indexOf("\n\n");
  return {
    sha,
    message: headerEnd === -1 ? "" : raw.slice(headerEnd + 2),
    author: { name: fields[0] ?? "", email: fields[1] ?? "" },
    timestamp: fields[2] ?? "",
  };
}

export interface GitEntry {
  /** Path relative to the repository root. */
  path: string;
  /** Git mode as octal text: 100644, 100755, 120000 (symlink) or 160000 (submodule). */
  mode: string;
  /** Object id of the blob (or commit, for a submodule). */
  oid: string;
  /** The blob's size in bytes, where the listing gives it (`git ls-tree --long`). */
  size?: number;
}

function splitRecords(output: Buffer): string[] {
  return output
    .toString("utf8")
    .split("\0")
    .filter((record) => record.length > 0);
}

function pathspec(skillsPath: string): string {
  return skillsPath === "" ? "." : skillsPath;
}

/** Lists the files of a commit under `skillsPath` with their sizes (`git ls-tree -r --long`). */
export async function listCommitEntries(
  root: string,
  skillsPath: string,
  commit = "HEAD",
): Promise<GitEntry[]> {
  const output = await runGit(root, [
    "ls-tree",
    "-r",
    "-z",
    "--long",
    "--full-tree",
    commit,
    "--",
    pathspec(skillsPath),
  ]);
  const entries: GitEntry[] = [];
  for (const record of splitRecords(output)) {
    // <mode> SP <type> SP <oid> SP+ <size> TAB <path>; the size is "-" for a submodule.
    const tab = record.indexOf("\t");
    const [mode, , oid, size] = record
      .slice(0, tab)
      .split(" ")
      .filter((field) => field !== "");
    if (tab === -1 || mode === undefined || oid === undefined) continue;
    const bytes = size === undefined || size === "-" ? undefined : Number(size);
    entries.push({ path: record.slice(tab + 1), mode, oid, size: bytes });
  }
  return entries;
}

/** Lists the index entries under `skillsPath` (`git ls-files -s`), one per path. */
export async function listIndexEntries(root: string, skillsPath: string): Promise<GitEntry[]> {
  const output = await runGit(root, ["ls-files", "-z", "-s", "--", pathspec(skillsPath)]);
  const byPath = new Map<string, GitEntry>();
  for (const record of splitRecords(output)) {
    // <mode> SP <oid> SP <stage> TAB <path>; a conflicted path has stages 1 to 3.
    const tab = record.indexOf("\t");
    const [mode, oid] = record.slice(0, tab).split(" ");
    if (tab === -1 || mode === undefined || oid === undefined) continue;
    const path = record.slice(tab + 1);
    if (!byPath.has(path)) byPath.set(path, { path, mode, oid });
  }
  return [...byPath.values()];
}

/**
 * Lists untracked files under `skillsPath` that git does not ignore. A nested
 * repository appears once, as its folder with a trailing `/`.
 */
export async function listUntracked(root: string, skillsPath: string): Promise<string[]> {
  const output = await runGit(root, [
    "ls-files",
    "-z",
    "--others",
    "--exclude-standard",
    "--",
    pathspec(skillsPath),
  ]);
  return splitRecords(output);
}

/** Reads one blob's bytes. */
export async function readBlob(root: string, oid: string): Promise<Buffer> {
  return runGit(root, ["cat-file", "blob", oid]);
}

/**
 * Streams blobs through one `git cat-file --batch` process, calling `onBlob`
 * with each object's bytes in request order. Only one object is held at a time.
 */
export function readBlobs(
  root: string,
  oids: readonly string[],
  onBlob: (oid: string, bytes: Buffer) => void,
): Promise<void> {
  if (oids.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], {
      cwd: root,
      env: gitEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Unparsed bytes as a list of chunks, so a large blob is joined once.
    let chunks: Buffer[] = [];
    let buffered = 0;
    let current: { oid: string; size: number } | undefined;
    let stderr = "";
    let failure: PublishError | undefined;
    const fail = (message: string): void => {
      failure ??= new PublishError("git", message);
      child.kill();
    };
    const take = (length: number): Buffer => {
      const joined = chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks);
      const head = joined.subarray(0, length);
      const rest = joined.subarray(length);
      chunks = rest.length > 0 ? [rest] : [];
      buffered = rest.length;
      return head;
    };
    child.stdout.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      for (;;) {
        if (current === undefined) {
          const joined = take(buffered);
          const newline = joined.indexOf(10);
          chunks = [joined];
          buffered = joined.length;
          if (newline === -1) return;
          const header = take(newline + 1)
            .toString("utf8")
            .trimEnd();
          const [oid, type, size] = header.split(" ");
          if (type !== "blob" || oid === undefined || size === undefined) {
            fail(
              `git cat-file --batch returned ${JSON.stringify(header)} where a blob was expected`,
            );
            return;
          }
          current = { oid, size: Number(size) };
        }
        // The object's bytes are followed by one newline.
        if (buffered < current.size + 1) return;
        const bytes = Buffer.from(take(current.size + 1).subarray(0, current.size));
        onBlob(current.oid, bytes);
        current = undefined;
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "ENOENT"
          ? missingGit(error)
          : new PublishError("git", `git cat-file failed: ${error.message}`, { cause: error }),
      );
    });
    // A process that failed to start or died early closes its input: the
    // error or exit code above reports why.
    child.stdin.on("error", () => {});
    child.on("close", (code) => {
      if (failure !== undefined) reject(failure);
      else if (code !== 0)
        reject(new PublishError("git", `git cat-file --batch failed in ${root}: ${stderr.trim()}`));
      else resolve();
    });
    child.stdin.end(`${oids.join("\n")}\n`);
  });
}
