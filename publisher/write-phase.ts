/**
 * The write phase of a publish, two ways. A new version in commit mode is
 * streamed: each file is read, hashed, decided and written in one step, and
 * the manifest is built once every object is written. Otherwise (working
 * tree, dry run, or a version that exists) every file is hashed first,
 * because the version id, the plan or the check against the stored
 * manifest needs all digests before anything is written.
 */

import { contentTypeOf } from "../core/content-type.ts";
import { formatCount } from "../core/format.ts";
import type { Logger } from "../core/logger.ts";
import {
  buildManifest,
  type Manifest,
  MODE_EXECUTABLE,
  MODE_REGULAR,
  sameContent,
  serializeManifest,
} from "../core/manifest.ts";
import { indexBase, type LocalFile } from "../core/plan.ts";
import type { BucketState } from "./base.ts";
import type { CheckedSource } from "./checked-source.ts";
import { PublishError } from "./errors.ts";
import { DEFAULT_CONCURRENCY } from "./input-checks.ts";
import { planFiles, plannedCounts } from "./planning.ts";
import { hashEntries } from "./source-tree.ts";
import type { S3Store } from "./store.ts";
import type { PublishResult, PublishSettings } from "./types.ts";
import { type UploadCounts, type WriteItem, type WriteOutput, writeVersion } from "./upload.ts";

/** The parts of a publish that the write phase uses. */
export interface WriteContext {
  settings: PublishSettings;
  root: string;
  checked: CheckedSource;
  store: S3Store | undefined;
}

function manifestOf(
  checked: CheckedSource,
  files: readonly LocalFile[],
  repository: string | null,
): Manifest {
  return buildManifest({
    version: checked.version,
    repository,
    commit: checked.commit,
    skills: checked.skills,
    files: files.map((file) => ({
      path: file.path,
      size: file.size,
      sha256: file.sha256,
      mode: file.mode === MODE_EXECUTABLE ? MODE_EXECUTABLE : MODE_REGULAR,
      contentType: contentTypeOf(file.path),
    })),
  });
}

function checkSameContent(existing: Manifest, manifest: Manifest, version: string): void {
  if (sameContent(existing, manifest)) return;
  throw new PublishError(
    "version-conflict",
    `Version ${version} is already published with different files than this commit has. A published version never changes: a rewritten commit must get a new sha (amend or re-commit it), so check that the repository and skills path are the ones that published it`,
  );
}

/** The manifest of a new version and its stored text. */
export interface WrittenVersion {
  manifest: Manifest;
  serialized: { text: string; sha256: string };
}

/** Records the planned counts, replaced by what the write did, and logs the totals. */
function reportWrite(
  result: PublishResult,
  planned: ReturnType<typeof plannedCounts>,
  counts: UploadCounts,
  logger: Logger,
): void {
  Object.assign(result, planned, counts);
  logger.info(`Uploaded ${formatCount(counts.uploaded, "file")} and copied ${counts.copied}`, {
    bytes: counts.bytesUploaded,
  });
}

/** Writes the items as objects of the version, against the base in `state`. */
function writeItems(
  context: WriteContext & { store: S3Store },
  state: BucketState,
  items: readonly WriteItem[],
  logger: Logger,
): Promise<WriteOutput> {
  const { settings, root, checked, store } = context;
  return writeVersion(
    {
      store,
      root,
      version: checked.version,
      commit: checked.commit,
      base: indexBase(state.base),
      items,
      concurrency: settings.store?.concurrency || DEFAULT_CONCURRENCY,
    },
    logger,
  );
}

/** Writes a new version in commit mode, hashing each file as it is written. */
export async function writeStreamed(
  context: WriteContext & { store: S3Store },
  state: BucketState,
  result: PublishResult,
  logger: Logger,
): Promise<WrittenVersion> {
  const { settings, checked } = context;
  logger.info(
    `Planning against ${state.base?.version ?? "no base"}: each file is compared by content as it is read`,
  );
  return logger.group("upload", async () => {
    const output = await writeItems(context, state, checked.entries, logger);
    const { plan, renamed } = planFiles(output.files, state.base, logger);
    reportWrite(result, plannedCounts(plan, renamed), output.counts, logger);
    const manifest = manifestOf(checked, output.files, settings.source.repository);
    return { manifest, serialized: await serializeManifest(manifest) };
  });
}

/**
 * Hashes every file, plans, then writes the objects unless the version
 * exists with the same files. Returns `undefined` after a dry run, with the
 * plan and the manifest's SHA-256 in `result`.
 */
export async function writeHashed(
  context: WriteContext,
  state: BucketState,
  result: PublishResult,
  logger: Logger,
): Promise<WrittenVersion | undefined> {
  const { settings, checked, store } = context;
  const { version } = checked;
  const files = checked.files ?? (await hashEntries(checked.entries));
  const manifest = manifestOf(checked, files, settings.source.repository);
  const serialized = await serializeManifest(manifest);
  const { plan, renamed } = planFiles(files, state.base, logger);
  Object.assign(result, plannedCounts(plan, renamed));
  if (state.existing !== undefined) {
    checkSameContent(state.existing.manifest, manifest, version);
    logger.info(
      `Version ${version} is already published with the same files, so no file is written: only the head and the notification`,
    );
    Object.assign(result, { uploaded: 0, copied: 0, removed: 0, bytesUploaded: 0 });
  }
  if (settings.dryRun || store === undefined) {
    result.outcome = "planned";
    result.manifestSha256 = state.existing?.sha256 ?? serialized.sha256;
    result.notifySkipped = "dry run";
    logger.info("Dry run: nothing was written and no notification was sent");
    return undefined;
  }
  if (state.existing === undefined) {
    const output = await logger.group("upload", () =>
      writeItems({ ...context, store }, state, files, logger),
    );
    reportWrite(result, plannedCounts(plan, renamed), output.counts, logger);
  }
  return { manifest, serialized };
}
