/**
 * Collects the files to publish from git. In `commit` mode these are the
 * files of HEAD under the skills folder as git stores them. In `working-tree`
 * mode they are the tracked files as they are on disk (deleted ones are
 * absent) plus untracked files git does not ignore. Symlinks are resolved by
 * the policy in `symlinks.ts`, and submodules and nested repositories are errors.
 *
 * Listing reads no file contents except symlink targets; `hashEntries`
 * reads and hashes them, or the publisher hashes each file as it uploads it.
 */

import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, readFile, readlink, stat } from "node:fs/promises";
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

/** A file of the version as listed, before its bytes are read. */
export interface SourceEntry {
  /** Path relative to the skills folder. */
  path: string;
  /** Path shown to the user, relative to the repository, such as `skills/pdf/SKILL.md`. */
  display: string;
  mode: number;
  /** Size in bytes as listed: git's blob size, or the size on disk; `-1` when unknown. */
  size: number;
  /**
   * Reads the bytes. In commit mode these are the committed bytes, checked
   * against git's object id; in working-tree mode the bytes on disk.
   */
  read(): Promise<Uint8Array>;
}

/** A file of the version with its digest, and a way to read its bytes again. */
export interface SourceFile extends LocalFile {
  /** Reads the bytes; throws `PublishError` when they no longer match `sha256`. */
  read(): Promise<Uint8Array>;
}

export interface SourceTree {
  /** Published files: regular files and resolved symlinks inside skill folders. */
  entries: SourceEntry[];
  /** Every path under the skills folder, relative to it, for the tree checks. */
  paths: string[];
  problems: Problem[];
}

/** Files listed or hashed from disk at once. */
const READ_CONCURRENCY = 16;

type Content = { kind: "blob"; oid: string } | { kind: "disk"; absolutePath: string };

interface Entry {
  /** Path relative to the skills folder. */
  path: string;
  kind: "file" | "symlink";
  mode: number;
  /** Size in bytes as listed, `-1` when unknown. */
  size: number;
  content: Content;
  /** The link's target text, for symlinks. */
  target?: string;
}

interface Listing {
  entries: Entry[];
  problems: Problem[];
  paths: string[];
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Returns git's object id of a blob with these bytes: SHA-1 over
 * `blob <size>\0<bytes>`, or SHA-256 for a repository whose object ids have
 * 64 digits (`git init --object-format=sha256`).
 */
function blobIdOf(bytes: Uint8Array, idLength: number): string {
  return createHash(idLength === 64 ? "sha256" : "sha1")
    .update(`blob ${bytes.byteLength}\0`)
    .update(bytes)
    .digest("hex");
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

/** Collects the files of a commit (HEAD by default) under `skillsPath`. */
export async function collectCommitTree(
  root: string,
  skillsPath: string,
  commit = "HEAD",
): Promise<SourceTree> {
  const listing: Listing = { entries: [], problems: [], paths: [] };
  const links: GitEntry[] = [];
  for (const gitEntry of await listCommitEntries(root, skillsPath, commit)) {
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
        size: gitEntry.size ?? -1,
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
      size: -1,
      content: { kind: "blob", oid: link.oid },
      target: targets.get(link.oid) ?? "",
    });
  }
  // Each file whose work-tree bytes differ from the commit is read by its own
  // git process. Line-ending filters change every text file, so this bounds them.
  const fromGit = createLimiter(READ_CONCURRENCY);
  const entries = resolveEntries(listing, skillsPath).map(
    ({ path, mode, size, content }): SourceEntry => {
      const oid = content.kind === "blob" ? content.oid : "";
      const display = displayPath(skillsPath, path);
      const absolutePath = join(root, display);
      return {
        path,
        display,
        mode,
        size,
        read: () =>
          readCommitted(absolutePath, oid, size, () => fromGit(() => readBlob(root, oid))),
      };
    },
  );
  return { entries, paths: listing.paths, problems: listing.problems };
}

/**
 * Reads a committed file's bytes from the work tree when they are the
 * committed bytes (git's object id matches, the usual case after a
 * checkout), else from git. A `git cat-file` process per file cost about
 * 20 ms of spawning each and dominated a full publish of 1,000 files.
 */
async function readCommitted(
  absolutePath: string,
  oid: string,
  size: number,
  readFromGit: () => Promise<Uint8Array>,
): Promise<Uint8Array> {
  try {
    const bytes = await readListedSize(absolutePath, size);
    if (bytes !== undefined && blobIdOf(bytes, oid.length) === oid) return bytes;
  } catch {
    // Missing or unreadable in the work tree: git has the committed bytes.
  }
  return readFromGit();
}

/**
 * Reads a file that should have `size` bytes with one read of `size + 1`
 * bytes, or returns `undefined` when it has another size. That is three
 * calls (open, read, close) where `stat` and `readFile` make five, and a
 * much larger file in its place is never read whole. `O_NONBLOCK` keeps a
 * FIFO in its place from waiting for a writer. A short read that is not the
 * end of the file only sends the caller to git.
 */
async function readListedSize(path: string, size: number): Promise<Uint8Array | undefined> {
  if (size < 0) {
    const stats = await stat(path);
    return stats.isFile() ? readFile(path) : undefined;
  }
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.allocUnsafe(size + 1);
    const { bytesRead } = await handle.read(buffer, 0, size + 1, 0);
    return bytesRead === size ? buffer.subarray(0, size) : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Reads and hashes every entry. Each file's `read()` checks that its bytes
 * still have the hashed SHA-256, so a file saved again in the middle of a
 * publish fails it instead of publishing bytes the manifest does not describe.
 */
export async function hashEntries(entries: readonly SourceEntry[]): Promise<SourceFile[]> {
  const limit = createLimiter(READ_CONCURRENCY);
  return Promise.all(
    entries.map((entry) =>
      limit(async (): Promise<SourceFile> => {
        const bytes = await entry.read();
        const sha256 = sha256Of(bytes);
        return {
          path: entry.path,
          mode: entry.mode,
          size: bytes.byteLength,
          sha256,
          read: async () => {
            const current = await entry.read();
            if (sha256Of(current) !== sha256) {
              throw new PublishError(
                "source-changed",
                `${entry.display} changed on disk while publishing: run the publish again once the file is saved`,
              );
            }
            return current;
          },
        };
      }),
    ),
  );
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
            size: -1,
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
          size: stats.size,
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
  const entries = resolveEntries(listing, skillsPath).map(
    ({ path, mode, size, content }): SourceEntry => {
      const absolutePath = content.kind === "disk" ? content.absolutePath : "";
      const display = displayPath(skillsPath, path);
      return {
        path,
        display,
        mode,
        size,
        read: () => onDisk(display, () => readFile(absolutePath)),
      };
    },
  );
  return { entries, paths: listing.paths.sort(), problems: listing.problems };
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
