/**
 * Publishes the skills of a repository as one immutable version:
 * validate, plan against the channel's head, write the objects, then the
 * manifest (last, so an interrupted run leaves no half version), then the
 * head, then notify the Worker.
 */

import { contentTypeOf } from "../core/content-type.ts";
import { formatCount } from "../core/format.ts";
import { assertChannel, InvalidIdError } from "../core/ids.ts";
import { manifestKey, normalizePrefix } from "../core/keys.ts";
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
import { InvalidSecretError } from "../core/signing.ts";
import { formatProblem } from "../core/validation.ts";
import { PublishError } from "./errors.ts";
import { writeHead, writeManifest } from "./finalize.ts";
import { DEFAULT_CONCURRENCY } from "./input-checks.ts";
import { checkSecrets, type NotificationData, sendNotification } from "./notify.ts";
import { planFiles, plannedCounts, readState } from "./planning.ts";
import { hashEntries, type SourceFile } from "./source-tree.ts";
import { S3Store } from "./store.ts";
import type { NotifySettings, PublishResult, PublishSettings } from "./types.ts";
import { type UploadCounts, writeVersion } from "./upload.ts";
import { hasErrors, normalizeSkillsPath, type ValidateResult, validateSkills } from "./validate.ts";
import { resolveVersion, type VersionInfo } from "./version.ts";

export { PublishError } from "./errors.ts";

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

function checkSettings(settings: PublishSettings): { channel: string; root: string } {
  let channel: string;
  let root = "";
  try {
    channel = assertChannel(settings.channel);
    if (settings.store !== undefined) root = normalizePrefix(settings.store.prefix);
    // A bad webhook secret must fail before anything is written, not after the head.
    if (settings.notify !== undefined) checkSecrets(settings.notify.secret);
  } catch (error: unknown) {
    if (
      error instanceof InvalidIdError ||
      error instanceof RangeError ||
      error instanceof InvalidSecretError
    ) {
      throw new PublishError("invalid-settings", error.message, { cause: error });
    }
    throw error;
  }
  if (settings.notify !== undefined && !isHttpUrl(settings.notify.url)) {
    throw new PublishError(
      "invalid-settings",
      "Invalid webhook URL: expected an http or https URL of the Worker's publish endpoint",
    );
  }
  if (!settings.dryRun && settings.store === undefined) {
    throw new PublishError(
      "invalid-settings",
      "No bucket is configured: set the bucket, endpoint and credentials, or run a dry run",
    );
  }
  return { channel, root };
}

/** The validated source and its version. */
interface CheckedSource extends ValidateResult, VersionInfo {
  /**
   * The files with their digests when working-tree mode hashed them to
   * derive the version; `undefined` in commit mode, which hashes each file
   * as it writes it.
   */
  files: SourceFile[] | undefined;
}

/** Validates the source, logs every problem and resolves the version. */
async function readSource(settings: PublishSettings, logger: Logger): Promise<CheckedSource> {
  const source = settings.source;
  const result = await validateSkills({
    repositoryRoot: source.repositoryRoot,
    skillsPath: source.skillsPath,
    mode: source.mode,
    level: settings.validation,
  });
  for (const problem of result.problems) {
    const line = formatProblem(problem);
    if (problem.severity === "error") logger.error(line);
    else logger.warn(line);
  }
  let files: SourceFile[] | undefined;
  const version = await resolveVersion(
    source.repositoryRoot,
    normalizeSkillsPath(source.skillsPath),
    source.mode,
    async () => {
      files = await hashEntries(result.entries);
      return files;
    },
  );
  logger.info(
    `Found ${result.skills.length} skills and ${result.entries.length} files for version ${version.version}`,
  );
  return { ...result, ...version, files };
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

/** What the write phase produced: the manifest to write, unless the version already exists. */
interface WrittenVersion {
  manifest: Manifest;
  serialized: { text: string; sha256: string };
}

/**
 * Publishes `settings.source` to `settings.channel`. Returns outcome
 * `invalid` with the problems when validation fails; throws `PublishError`
 * for every other failure.
 */
export async function publish(settings: PublishSettings, logger: Logger): Promise<PublishResult> {
  const { channel, root } = checkSettings(settings);
  const source = settings.source;

  const checked = await logger.group("validate", () => readSource(settings, logger));
  const { version } = checked;
  const result: PublishResult = {
    outcome: "invalid",
    version,
    channel,
    manifestKey: manifestKey(root, version),
    manifestSha256: undefined,
    base: null,
    uploaded: 0,
    copied: 0,
    removed: 0,
    bytesUploaded: 0,
    skills: checked.skills.map((skill) => skill.name).sort(),
    changedSkills: [],
    skillChanges: [],
    problems: checked.problems,
    notified: false,
  };
  if (hasErrors(checked.problems)) {
    const errors = checked.problems.filter((problem) => problem.severity === "error").length;
    logger.error(`Validation found ${formatCount(errors, "error")}; nothing was written`);
    result.notifySkipped = "validation failed";
    return result;
  }

  const store = settings.store === undefined ? undefined : new S3Store(settings.store, { logger });
  try {
    const state = await logger.group("plan", () =>
      readState(store, root, channel, version, logger),
    );
    const concurrency = settings.store?.concurrency || DEFAULT_CONCURRENCY;
    let written: WrittenVersion;
    if (
      store !== undefined &&
      !settings.dryRun &&
      state.existing === undefined &&
      checked.files === undefined
    ) {
      // A new version in commit mode: hash each file as it is written.
      logger.info(
        `Planning against ${state.base?.version ?? "no base"}: each file is compared by content as it is read`,
      );
      written = await logger.group("upload", async () => {
        const output = await writeVersion(
          {
            store,
            root,
            version,
            commit: checked.commit,
            base: indexBase(state.base),
            items: checked.entries,
            concurrency,
          },
          logger,
        );
        const { plan, renamed } = planFiles(output.files, state.base, logger);
        reportWrite(result, plannedCounts(plan, renamed), output.counts, logger);
        const manifest = manifestOf(checked, output.files, source.repository);
        return { manifest, serialized: await serializeManifest(manifest) };
      });
    } else {
      const files = checked.files ?? (await hashEntries(checked.entries));
      const manifest = manifestOf(checked, files, source.repository);
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
        return result;
      }
      if (state.existing === undefined) {
        const output = await logger.group("upload", () =>
          writeVersion(
            {
              store,
              root,
              version,
              commit: checked.commit,
              base: indexBase(state.base),
              items: files,
              concurrency,
            },
            logger,
          ),
        );
        reportWrite(result, plannedCounts(plan, renamed), output.counts, logger);
      }
      written = { manifest, serialized };
    }

    let manifestSha256: string;
    if (state.existing !== undefined) {
      result.outcome = "republished";
      manifestSha256 = state.existing.sha256;
      // Nothing was planned, so a re-run on the same channel keeps the head's base.
      result.base = state.head?.version === version ? state.head.base : null;
    } else {
      result.outcome = "published";
      manifestSha256 = written.serialized.sha256;
    }
    result.manifestSha256 = manifestSha256;

    const head = await logger.group("manifest", async () => {
      if (state.existing === undefined) {
        result.bytesUploaded += await writeManifest(
          store,
          result.manifestKey,
          written.serialized,
          logger,
        );
      }
      const stored = await writeHead(
        store,
        {
          root,
          channel,
          // A republished version keeps the commit its stored manifest records.
          manifest: state.existing?.manifest ?? written.manifest,
          manifestKey: result.manifestKey,
          manifestSha256,
          base: result.base,
          run: source.run,
        },
        logger,
      );
      result.bytesUploaded += stored.bytes;
      return stored.head;
    });

    if (settings.notify === undefined) {
      result.notifySkipped = "no webhook URL configured";
      logger.info("No webhook URL configured: the Worker was not notified");
      return result;
    }
    const data: NotificationData = {
      version,
      channel,
      manifestKey: result.manifestKey,
      manifestSha256,
      base: result.base,
      repository: source.repository,
      ref: source.ref,
      commit: head.commit,
      run: head.run,
      publishedAt: head.publishedAt,
    };
    await logger.group("notify", () => notifyPublished(settings.notify, data, result, logger));
    result.notified = true;
    return result;
  } finally {
    store?.destroy();
  }
}

/** Records the planned counts, replaced by what the write did, and logs the totals. */
function reportWrite(
  result: PublishResult,
  planned: ReturnType<typeof plannedCounts>,
  counts: UploadCounts,
  logger: Logger,
): void {
  Object.assign(result, planned, counts);
  logger.info(`Uploaded ${counts.uploaded} files and copied ${counts.copied}`, {
    bytes: counts.bytesUploaded,
  });
}

/** Sends the notification; on failure, throws an error stating that the version is published. */
async function notifyPublished(
  settings: NotifySettings | undefined,
  data: NotificationData,
  result: PublishResult,
  logger: Logger,
): Promise<void> {
  if (settings === undefined) return;
  try {
    await sendNotification(settings, data, logger);
  } catch (error: unknown) {
    if (!(error instanceof PublishError)) throw error;
    throw new PublishError(
      error.code,
      `Version ${data.version} is published and the head of channel ${data.channel} names it, but the Worker was not notified, so the channel's current version is unchanged: ${error.message}. After fixing this, re-run the publish or send the notification again with: r2-skills notify ${data.version} --channel ${data.channel}`,
      { cause: error, result: { ...result, notified: false } },
    );
  }
}
