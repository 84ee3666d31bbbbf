/**
 * Collects the files to publish from git. In `commit` mode these are the
 * files of HEAD under the skills folder as git stores them. In `working-tree`
 * mode they are the tracked files as they are on disk (deleted ones are
 * absent) plus untracked files git does not ignore. Symlinks are resolved by
 * the policy in `symlinks.ts`, and submodules and nested repositories are errors.
 */

import { createHash } from "node:crypto";
import { lstat, readFile, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { comparePaths, MODE_EXECUTABLE, MODE_REGULAR } from "../core/manifest.ts";
import type { LocalFile } from "../core/plan.ts";
import type { Problem } from "../core/validation.ts";
import { messageOf, PublishError } from "./errors.ts";
import {
  type GitEntry,
  listCommitEntries,
  listIndexEntries,
  listUntracked,
  readBlob,
  readBlobs,
} from "./git.ts";
import { createLimiter } from "./limiter.ts";
import { type LinkLookup, resolveLink } from "./symlinks.ts";

/** A file of the version: what the plan needs, and a way to read its bytes. */
export interface SourceFile extends LocalFile {
  /** Reads the bytes; throws `PublishError` when they no longer match `sha256`. */
  read(): Promise<Uint8Array>;
}

export interface SourceTree {
  /** Published files: regular files and resolved symlinks inside skill folders. */
  files: SourceFile[];
  /** Every path under the skills folder, relative to it, for the tree checks. */
  paths: string[];
  problems: Problem[];
}

/** Files hashed from disk at once. */
const READ_CONCURRENCY = 16;

type Content = { kind: "blob"; oid: string } | { kind: "disk"; absolutePath: string };

interface Entry {
  /** Path relative to the skills folder. */
  path: string;
  kind: "file" | "symlink";
  mode: number;
  content: Content;
  /** The link's target text, for symlinks. */
  target?: string;
}

interface Listing {
  entries: Entry[];
  problems: Problem[];
  paths: string[];
}

function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function modeOf(gitMode: string): number {
  return gitMode === "100755" ? MODE_EXECUTABLE : MODE_REGULAR;
}

function relativeTo(skillsPath: string, path: string): string {
  return skillsPath === "" ? path : path.slice(skillsPath.length + 1);
}

function displayPath(skillsPath: string, path: string): string {
  return skillsPath === "" ? path : `${skillsPath}/${path}`;
}

const REPLACEMENT_CHARACTER = "\uFFFD";

function invalidNameProblem(skillsPath: string, path: string): Problem {
  return {
    severity: "error",
    file: displayPath(skillsPath, path),
    line: 0,
    message: "The file name is not valid UTF-8: rename the file with UTF-8 characters",
  };
}

function submoduleProblem(skillsPath: string, path: string): Problem {
  return {
    severity: "error",
    file: displayPath(skillsPath, path),
    line: 0,
    message:
      "This is a git submodule, which is not published: copy its files into the repository or move it out of the skills folder",
  };
}

/** Collects the files of HEAD under `skillsPath`. */
export async function collectCommitTree(root: string, skillsPath: string): Promise<SourceTree> {
  const listing: Listing = { entries: [], problems: [], paths: [] };
  const links: GitEntry[] = [];
  for (const gitEntry of await listCommitEntries(root, skillsPath)) {
    const path = relativeTo(skillsPath, gitEntry.path);
    listing.paths.push(path);
    if (gitEntry.mode === "160000") {
      listing.problems.push(submoduleProblem(skillsPath, path));
    } else if (gitEntry.mode === "120000") {
      links.push(gitEntry);
    } else {
      listing.entries.push({
        path,
        kind: "file",
        mode: modeOf(gitEntry.mode),
        content: { kind: "blob", oid: gitEntry.oid },
      });
    }
  }
  // A symlink's blob is its target text.
  const targets = new Map<string, string>();
  await readBlobs(
    root,
    links.map((link) => link.oid),
    (oid, bytes) => targets.set(oid, bytes.toString("utf8")),
  );
  for (const link of links) {
    listing.entries.push({
      path: relativeTo(skillsPath, link.path),
      kind: "symlink",
      mode: MODE_REGULAR,
      content: { kind: "blob", oid: link.oid },
      target: targets.get(link.oid) ?? "",
    });
  }
  const resolved = resolveEntries(listing, skillsPath);

  const digests = new Map<string, { size: number; sha256: string }>();
  const oids = new Set<string>();
  for (const { content } of resolved) if (content.kind === "blob") oids.add(content.oid);
  await readBlobs(root, [...oids], (oid, bytes) => {
    digests.set(oid, { size: bytes.byteLength, sha256: sha256Of(bytes) });
  });
  const files = resolved.map(({ path, mode, content }): SourceFile => {
    const oid = content.kind === "blob" ? content.oid : "";
    const digest = digests.get(oid);
    if (digest === undefined) {
      throw new PublishError("git", `git cat-file returned no content for ${path} (${oid})`);
    }
    const absolutePath = join(root, displayPath(skillsPath, path));
    return { path, mode, ...digest, read: () => readCommitted(root, absolutePath, oid, digest) };
  });
  return { files, paths: listing.paths, problems: listing.problems };
}

/**
 * Reads a committed file's bytes from the work tree when they are the
 * committed bytes (size and SHA-256 match, the usual case after a checkout),
 * else from git. A `git cat-file` process per file cost about 20 ms of
 * spawning each and dominated a full publish of 1,000 files.
 */
async function readCommitted(
  root: string,
  absolutePath: string,
  oid: string,
  expected: { size: number; sha256: string },
): Promise<Uint8Array> {
  try {
    // stat first, so a FIFO or a much larger file in its place is never read.
    const stats = await stat(absolutePath);
    if (stats.isFile() && stats.size === expected.size) {
      const bytes = await readFile(absolutePath);
      if (sha256Of(bytes) === expected.sha256) return bytes;
    }
  } catch {
    // Missing or unreadable in the work tree: git has the committed bytes.
  }
  return readBlob(root, oid);
}

/** Collects tracked and untracked, not ignored files under `skillsPath` as they are on disk. */
export async function collectWorkingTree(root: string, skillsPath: string): Promise<SourceTree> {
  const listing: Listing = { entries: [], problems: [], paths: [] };
  const indexModes = new Map<string, string>();
  const candidates: string[] = [];
  for (const gitEntry of await listIndexEntries(root, skillsPath)) {
    if (gitEntry.mode === "160000") {
      const path = relativeTo(skillsPath, gitEntry.path);
      listing.paths.push(path);
      listing.problems.push(submoduleProblem(skillsPath, path));
      continue;
    }
    indexModes.set(gitEntry.path, gitEntry.mode);
    candidates.push(gitEntry.path);
  }
  for (const path of await listUntracked(root, skillsPath)) {
    if (path.endsWith("/")) {
      const folder = relativeTo(skillsPath, path.slice(0, -1));
      listing.paths.push(folder);
      listing.problems.push({
        severity: "error",
        file: displayPath(skillsPath, folder),
        line: 0,
        message:
          "This folder is a nested git repository, which is not published: add its files to this repository or move it out of the skills folder",
      });
      continue;
    }
    candidates.push(path);
  }

  const limit = createLimiter(READ_CONCURRENCY);
  const found = await Promise.all(
    candidates.map((repoPath) =>
      limit(async (): Promise<Entry | undefined> => {
        const absolutePath = join(root, repoPath);
        const path = relativeTo(skillsPath, repoPath);
        // The decoded name cannot be opened, so report it instead of skipping it as deleted.
        if (path.includes(REPLACEMENT_CHARACTER)) {
          listing.paths.push(path);
          listing.problems.push(invalidNameProblem(skillsPath, path));
          return undefined;
        }
        const display = displayPath(skillsPath, path);
        const stats = await onDisk(display, () => lstatOrUndefined(absolutePath));
        // Deleted but still tracked, or replaced by a folder whose files are listed on their own.
        if (stats === undefined || stats.isDirectory()) return undefined;
        if (stats.isSymbolicLink()) {
          return {
            path,
            kind: "symlink",
            mode: MODE_REGULAR,
            content: { kind: "disk", absolutePath },
            target: await onDisk(display, () => readlink(absolutePath, "utf8")),
          };
        }
        // Reading a FIFO or a device could block or never end.
        if (!stats.isFile()) {
          listing.paths.push(path);
          listing.problems.push({
            severity: "error",
            file: display,
            line: 0,
            message: "This is not a regular file (a FIFO, socket or device): remove it",
          });
          return undefined;
        }
        const executable =
          process.platform === "win32"
            ? indexModes.get(repoPath) === "100755"
            : (stats.mode & 0o100) !== 0;
        return {
          path,
          kind: "file",
          mode: executable ? MODE_EXECUTABLE : MODE_REGULAR,
          content: { kind: "disk", absolutePath },
        };
      }),
    ),
  );
  for (const entry of found) {
    if (entry === undefined) continue;
    listing.entries.push(entry);
    listing.paths.push(entry.path);
  }
  const resolved = resolveEntries(listing, skillsPath);
  const files = await Promise.all(
    resolved.map(({ path, mode, content }) =>
      limit(async (): Promise<SourceFile> => {
        const absolutePath = content.kind === "disk" ? content.absolutePath : "";
        const display = displayPath(skillsPath, path);
        const bytes = await onDisk(display, () => readFile(absolutePath));
        const sha256 = sha256Of(bytes);
        return {
          path,
          mode,
          size: bytes.byteLength,
          sha256,
          read: async () => {
            const current = await onDisk(display, () => readFile(absolutePath));
            if (sha256Of(current) !== sha256) {
              throw new PublishError(
                "source-changed",
                `${displayPath(skillsPath, path)} changed on disk while publishing: run the publish again once the file is saved`,
              );
            }
            return current;
          },
        };
      }),
    ),
  );
  return { files, paths: listing.paths.sort(), problems: listing.problems };
}

/** Runs a file system call on a file to publish, turning its failure into a `PublishError`. */
async function onDisk<T>(display: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new PublishError(
        "source-changed",
        `${display} was deleted while publishing: run the publish again`,
        { cause: error },
      );
    }
    throw new PublishError(
      "source-unreadable",
      `Cannot read ${display}: ${messageOf(error)}; check its permissions`,
      { cause: error },
    );
  }
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Replaces each symlink by the file it resolves to, keeping the link's path.
 * Links that do not resolve to a file inside the skills folder become problems.
 */
function resolveEntries(listing: Listing, skillsPath: string): Entry[] {
  const byPath = new Map(listing.entries.map((entry) => [entry.path, entry]));
  const lookup: LinkLookup<Entry> = {
    entry: (path) => byPath.get(path),
    linkTarget: (entry) => (entry.kind === "symlink" ? entry.target : undefined),
    isFolder: (path) => listing.paths.some((other) => other.startsWith(`${path}/`)),
  };
  const resolved: Entry[] = [];
  for (const entry of listing.entries) {
    // Git output is decoded as UTF-8, so a name in another encoding shows
    // U+FFFD and would not name the file it came from.
    if (entry.path.includes(REPLACEMENT_CHARACTER)) {
      listing.problems.push(invalidNameProblem(skillsPath, entry.path));
      continue;
    }
    if (entry.kind === "file") {
      resolved.push(entry);
      continue;
    }
    const result = resolveLink(entry.path, entry.target ?? "", lookup);
    if (result.ok) {
      resolved.push({ ...result.entry, path: entry.path });
    } else {
      listing.problems.push({
        severity: "error",
        file: displayPath(skillsPath, entry.path),
        line: 0,
        message: `This symlink is not published because ${result.reason}: replace it with the file, or point it at a file inside the skills folder`,
      });
    }
  }
  return resolved.sort((a, b) => comparePaths(a.path, b.path));
}
