/**
 * Writes a version's objects: new and changed files uploaded from the
 * runner, unchanged, renamed and duplicated files copied server side from
 * the base version (and uploaded after all when the base object is gone).
 *
 * A file whose digest is not known yet is read, hashed and decided in one
 * step, so a publish reads each file once and its uploads start as soon as
 * validation has passed, while other files are still being read. Every
 * object is attempted before any failure is reported, so a re-run has less
 * to do.
 */

import { contentTypeOf } from "../core/content-type.ts";
import { objectKey } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import type { CommitInfo } from "../core/manifest.ts";
import { objectMetadata } from "../core/metadata.ts";
import { type BaseIndex, decideFile, type LocalFile } from "../core/plan.ts";
import { messageOf, PublishError } from "./errors.ts";
import { createByteBudget, createLimiter } from "./limiter.ts";
import { sha256Of } from "./source-tree.ts";
import type { S3Store } from "./store.ts";

/** Failures logged one by one after the first, which the thrown error carries. */
const MAX_LOGGED_FAILURES = 10;

/**
 * Maximum bytes of file contents in memory at once. A file larger than this
 * is read when no other file is in memory.
 */
export const MAX_BYTES_IN_FLIGHT = 128 * 1024 * 1024;

export interface UploadCounts {
  uploaded: number;
  copied: number;
  bytesUploaded: number;
}

/** A file to write. */
export interface WriteItem {
  /** `<skill>/<path>`, relative to the skills folder. */
  path: string;
  mode: number;
  /** Size in bytes as listed, for the memory budget; `-1` when unknown. */
  size: number;
  /** The digest when already known; without it the file is read and hashed first. */
  sha256?: string;
  read(): Promise<Uint8Array>;
}

export interface WriteInput {
  store: S3Store;
  root: string;
  version: string;
  commit: CommitInfo;
  base: BaseIndex;
  items: readonly WriteItem[];
  concurrency: number;
  maxBytesInFlight?: number;
}

export interface WriteOutput {
  /** The written files with their digests, in the order of `items`. */
  files: LocalFile[];
  counts: UploadCounts;
}

/** Writes every item; throws `PublishError` if any failed. */
export async function writeVersion(input: WriteInput, logger: Logger): Promise<WriteOutput> {
  const { store, root, version, commit, base } = input;
  // The store limits requests; these limits also bound the bytes read into memory.
  const limit = createLimiter(input.concurrency);
  const budget = createByteBudget(input.maxBytesInFlight ?? MAX_BYTES_IN_FLIGHT);
  const counts: UploadCounts = { uploaded: 0, copied: 0, bytesUploaded: 0 };
  const files: LocalFile[] = new Array(input.items.length);
  const mtime = Math.floor(Date.parse(commit.timestamp) / 1000);

  const upload = async (file: LocalFile, bytes: Uint8Array): Promise<void> => {
    await store.put(objectKey(root, version, file.path), bytes, {
      contentType: contentTypeOf(file.path),
      sha256: file.sha256,
      metadata: objectMetadata({
        sha256: file.sha256,
        mode: file.mode,
        commit: commit.dirty ? null : commit.sha,
        mtime,
        author: commit.author.name,
        message: commit.message,
      }),
    });
    counts.uploaded += 1;
    counts.bytesUploaded += bytes.byteLength;
    logger.debug(`Uploaded ${file.path}`, { bytes: bytes.byteLength });
  };

  // Copies keep the base object's metadata (MetadataDirective COPY), whose
  // commit and mtime name the version that first uploaded the bytes.
  const write = async (item: WriteItem, index: number): Promise<void> => {
    let bytes: Uint8Array | undefined;
    let file: LocalFile;
    if (item.sha256 === undefined) {
      bytes = await item.read();
      file = { path: item.path, mode: item.mode, size: bytes.byteLength, sha256: sha256Of(bytes) };
    } else {
      file = { path: item.path, mode: item.mode, size: item.size, sha256: item.sha256 };
    }
    files[index] = file;
    const action = decideFile(file, base);
    if (action.kind === "copy" && base.version !== null) {
      const sourceKey = objectKey(root, base.version, action.from);
      const result = await store.copy(sourceKey, objectKey(root, version, file.path));
      if (result === "copied") {
        counts.copied += 1;
        logger.debug(`Copied ${file.path} from ${sourceKey}`);
        return;
      }
      logger.warn(`${sourceKey} is missing from the base version; uploading ${file.path} instead`);
    }
    await upload(file, bytes ?? (await item.read()));
  };

  const results = await Promise.allSettled(
    input.items.map((item, index) => limit(() => budget(item.size, () => write(item, index)))),
  );
  throwFailures(results, input.items, version, logger);
  return { files, counts };
}

/** Throws one `PublishError` for every rejected write, logging the first few. */
function throwFailures(
  results: readonly PromiseSettledResult<void>[],
  items: readonly WriteItem[],
  version: string,
  logger: Logger,
): void {
  const failures: string[] = [];
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      failures.push(`${items[index]?.path ?? "?"}: ${messageOf(result.reason)}`);
    }
  });
  if (failures.length === 0) return;
  const firstError = results.find((result) => result.status === "rejected");
  const cause = firstError?.status === "rejected" ? firstError.reason : undefined;
  const code = cause instanceof PublishError ? cause.code : "store";
  const logged = failures.slice(1, 1 + MAX_LOGGED_FAILURES);
  for (const failure of logged) logger.error(failure);
  if (failures.length > logged.length + 1) {
    logger.error(`${failures.length - logged.length - 1} more objects failed`);
  }
  throw new PublishError(
    code,
    `${failures.length} of ${items.length} objects of version ${version} failed, so its manifest was not written and the version is not published. First failure: ${failures[0] ?? ""}. Re-run the publish to complete it`,
    { cause },
  );
}
