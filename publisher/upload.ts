/**
 * Writes a version's objects as planned: new and changed files uploaded from
 * the runner, unchanged files copied server side from the base version (and
 * uploaded after all when the base object is gone). Every object is
 * attempted before any failure is reported, so a re-run has less to do.
 */

import { contentTypeOf } from "../core/content-type.ts";
import { objectKey } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import type { CommitInfo, Manifest } from "../core/manifest.ts";
import { objectMetadata } from "../core/metadata.ts";
import type { Plan } from "../core/plan.ts";
import { messageOf, PublishError } from "./errors.ts";
import { createLimiter } from "./limiter.ts";
import type { SourceFile } from "./source-tree.ts";
import type { S3Store } from "./store.ts";

/** Failures logged one by one after the first, which the thrown error carries. */
const MAX_LOGGED_FAILURES = 10;

export interface UploadCounts {
  uploaded: number;
  copied: number;
  bytesUploaded: number;
}

export interface UploadInput {
  store: S3Store;
  root: string;
  version: string;
  commit: CommitInfo;
  plan: Plan;
  /** For planned uploads whose content the base has under another path: that path. */
  renamed: ReadonlyMap<string, string>;
  /** Files by path, to read the bytes of planned uploads. */
  files: ReadonlyMap<string, SourceFile>;
  concurrency: number;
}

/**
 * Finds planned uploads whose bytes, mode and content type the base already
 * has under another path (a renamed or duplicated file), so they are copied
 * instead. The content type must match because a copy keeps the source's.
 * Returns the source path by new path.
 */
export function findRenamed(plan: Plan, base: Manifest | null): Map<string, string> {
  const renamed = new Map<string, string>();
  if (base === null) return renamed;
  const contentKey = (sha256: string, mode: number, contentType: string): string =>
    `${sha256}:${mode}:${contentType}`;
  const byContent = new Map<string, string>();
  for (const file of base.files) {
    byContent.set(contentKey(file.sha256, file.mode, file.contentType), file.path);
  }
  for (const file of plan.upload) {
    const source = byContent.get(contentKey(file.sha256, file.mode, contentTypeOf(file.path)));
    if (source !== undefined) renamed.set(file.path, source);
  }
  return renamed;
}

/** Writes every planned object; throws `PublishError` if any failed. */
export async function writeObjects(input: UploadInput, logger: Logger): Promise<UploadCounts> {
  const { store, root, version, commit, plan } = input;
  // The store limits requests; this limit also bounds the bytes read into memory.
  const limit = createLimiter(input.concurrency);
  const counts: UploadCounts = { uploaded: 0, copied: 0, bytesUploaded: 0 };
  const mtime = Math.floor(Date.parse(commit.timestamp) / 1000);

  const upload = async (path: string): Promise<void> => {
    const file = input.files.get(path);
    if (file === undefined) throw new Error(`No source file for planned path ${path}`);
    const bytes = await file.read();
    await store.put(objectKey(root, version, path), bytes, {
      contentType: contentTypeOf(path),
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
    logger.debug(`Uploaded ${path}`, { bytes: bytes.byteLength });
  };

  // Copies keep the base object's metadata (MetadataDirective COPY), whose
  // commit and mtime name the version that first uploaded the bytes.
  const copy = async (path: string, base: string, sourcePath: string): Promise<void> => {
    const sourceKey = objectKey(root, base, sourcePath);
    const result = await store.copy(sourceKey, objectKey(root, version, path));
    if (result === "copied") {
      counts.copied += 1;
      logger.debug(`Copied ${path} from ${sourceKey}`);
      return;
    }
    logger.warn(`${sourceKey} is missing from the base version; uploading ${path} instead`);
    await upload(path);
  };

  const base = plan.base;
  const tasks: { path: string; run: () => Promise<void> }[] = [];
  for (const file of plan.upload) {
    const sourcePath = input.renamed.get(file.path);
    tasks.push({
      path: file.path,
      run:
        base !== null && sourcePath !== undefined
          ? () => copy(file.path, base, sourcePath)
          : () => upload(file.path),
    });
  }
  for (const file of plan.copy) {
    tasks.push({
      path: file.path,
      run: base !== null ? () => copy(file.path, base, file.path) : () => upload(file.path),
    });
  }

  const results = await Promise.allSettled(tasks.map((task) => limit(task.run)));
  const failures: string[] = [];
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      failures.push(`${tasks[index]?.path ?? "?"}: ${messageOf(result.reason)}`);
    }
  });
  if (failures.length > 0) {
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
      `${failures.length} of ${tasks.length} objects of version ${version} failed, so its manifest was not written and the version is not published. First failure: ${failures[0] ?? ""}. Re-run the publish to complete it`,
      { cause },
    );
  }
  return counts;
}
