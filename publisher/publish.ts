/**
 * Publishes the skills of a repository as one immutable version:
 * validate, plan against the channel's head, write the objects, then the
 * manifest (last, so an interrupted run leaves no half version), then the
 * head, then notify the Worker.
 */

import { contentTypeOf } from "../core/content-type.ts";
import { type Head, headSchema } from "../core/head.ts";
import { assertChannel, InvalidIdError } from "../core/ids.ts";
import { toStoredJson } from "../core/json.ts";
import { headKey, manifestKey, normalizePrefix } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import {
  buildManifest,
  type Manifest,
  MODE_EXECUTABLE,
  MODE_REGULAR,
  sameContent,
  serializeManifest,
} from "../core/manifest.ts";
import { type Plan, planVersion } from "../core/plan.ts";
import { formatProblem } from "../core/validation.ts";
import { type BucketState, readBucketState } from "./base.ts";
import { PublishError } from "./errors.ts";
import { sendNotification } from "./notify.ts";
import type { SourceFile } from "./source-tree.ts";
import { DEFAULT_CONCURRENCY, S3Store } from "./store.ts";
import type { PublishResult, PublishSettings } from "./types.ts";
import { findRenamed, writeObjects } from "./upload.ts";
import { hasErrors, normalizeSkillsPath, validateSkills } from "./validate.ts";
import { resolveVersion } from "./version.ts";

export { PublishError } from "./errors.ts";

const JSON_CONTENT_TYPE = "application/json";

function checkSettings(settings: PublishSettings): { channel: string; root: string } {
  let channel: string;
  let root = "";
  try {
    channel = assertChannel(settings.channel);
    if (settings.store !== undefined) root = normalizePrefix(settings.store.prefix);
  } catch (error: unknown) {
    if (error instanceof InvalidIdError || error instanceof RangeError) {
      throw new PublishError("invalid-settings", error.message, { cause: error });
    }
    throw error;
  }
  if (!settings.dryRun && settings.store === undefined) {
    throw new PublishError(
      "invalid-settings",
      "No bucket is configured: set the bucket, endpoint and credentials, or run a dry run",
    );
  }
  return { channel, root };
}

/**
 * Publishes `settings.source` to `settings.channel`. Returns outcome
 * `invalid` with the problems when validation fails; throws `PublishError`
 * for every other failure.
 */
export async function publish(settings: PublishSettings, logger: Logger): Promise<PublishResult> {
  const { channel, root } = checkSettings(settings);
  const source = settings.source;

  const checked = await logger.group("validate", async () => {
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
    const version = await resolveVersion(
      source.repositoryRoot,
      normalizeSkillsPath(source.skillsPath),
      source.mode,
      result.files,
    );
    logger.info(
      `Found ${result.skills.length} skills and ${result.files.length} files for version ${version.version}`,
    );
    return { ...result, ...version };
  });
  const { version, commit, files } = checked;
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
    logger.error(
      `Validation found ${checked.problems.filter((p) => p.severity === "error").length} errors; nothing was written`,
    );
    result.notifySkipped = "validation failed";
    return result;
  }

  const manifest = buildManifest({
    version,
    repository: source.repository,
    commit,
    skills: checked.skills,
    files: files.map((file) => ({
      path: file.path,
      size: file.size,
      sha256: file.sha256,
      mode: file.mode === MODE_EXECUTABLE ? MODE_EXECUTABLE : MODE_REGULAR,
      contentType: contentTypeOf(file.path),
    })),
  });
  const serialized = await serializeManifest(manifest);

  const store = settings.store === undefined ? undefined : new S3Store(settings.store, { logger });
  try {
    const { state, plan, renamed } = await logger.group("plan", async () => {
      const state: BucketState =
        store === undefined
          ? { head: undefined, base: null, existing: undefined }
          : await readBucketState(store, root, channel, version, logger);
      if (store === undefined) logger.warn("No bucket configured: planning against no base");
      const plan = planVersion(files, state.base);
      const renamed = findRenamed(plan, state.base);
      logPlan(plan, renamed, logger);
      return { state, plan, renamed };
    });
    Object.assign(result, countsOf(plan, renamed));

    if (state.existing !== undefined) {
      checkSameContent(state.existing.manifest, manifest, version);
      logger.info(
        `Version ${version} is already published with the same files; only the head and the notification are written`,
      );
    }

    if (settings.dryRun || store === undefined) {
      result.outcome = "planned";
      result.base = plan.base;
      result.bytesUploaded = plan.upload
        .filter((file) => !renamed.has(file.path))
        .reduce((sum, file) => sum + file.size, 0);
      result.manifestSha256 = state.existing?.sha256 ?? serialized.sha256;
      result.notifySkipped = "dry run";
      logger.info("Dry run: nothing was written and no notification was sent");
      return result;
    }

    let manifestSha256: string;
    let base: string | null;
    if (state.existing !== undefined) {
      result.outcome = "republished";
      Object.assign(result, { uploaded: 0, copied: 0, removed: 0 });
      manifestSha256 = state.existing.sha256;
      // Nothing was planned; a re-run on the same channel keeps the head's base.
      base = state.head?.version === version ? state.head.base : null;
    } else {
      const byPath = new Map<string, SourceFile>(files.map((file) => [file.path, file]));
      const counts = await logger.group("upload", () =>
        writeObjects(
          {
            store,
            root,
            version,
            commit,
            plan,
            renamed,
            files: byPath,
            concurrency: settings.store?.concurrency || DEFAULT_CONCURRENCY,
          },
          logger,
        ),
      );
      result.uploaded = counts.uploaded;
      result.copied = counts.copied;
      result.bytesUploaded += counts.bytesUploaded;
      logger.info(`Uploaded ${counts.uploaded} files and copied ${counts.copied}`, {
        bytes: counts.bytesUploaded,
      });
      manifestSha256 = serialized.sha256;
      base = plan.base;
      result.outcome = "published";
    }
    result.base = base;
    result.manifestSha256 = manifestSha256;

    const head = await logger.group("manifest", async () => {
      if (state.existing === undefined) {
        await store.put(result.manifestKey, new TextEncoder().encode(serialized.text), {
          contentType: JSON_CONTENT_TYPE,
          metadata: { sha256: serialized.sha256 },
        });
        result.bytesUploaded += Buffer.byteLength(serialized.text);
        logger.info(`Wrote ${result.manifestKey}`, { sha256: serialized.sha256 });
      }
      const head = buildHead(settings, channel, result.manifestKey, manifestSha256, base, manifest);
      const headText = toStoredJson(head);
      await store.put(headKey(root, channel), new TextEncoder().encode(headText), {
        contentType: JSON_CONTENT_TYPE,
        metadata: {},
      });
      result.bytesUploaded += Buffer.byteLength(headText);
      logger.info(`Wrote ${headKey(root, channel)}: channel ${channel} is at ${version}`);
      return head;
    });

    if (settings.notify === undefined) {
      result.notifySkipped = "no webhook URL configured";
      logger.info("No webhook URL configured: the Worker was not notified");
      return result;
    }
    const notify = settings.notify;
    await logger
      .group("notify", () =>
        sendNotification(
          notify,
          {
            version,
            channel,
            manifestKey: result.manifestKey,
            manifestSha256,
            base,
            repository: source.repository,
            ref: source.ref,
            commit: head.commit,
            run: head.run,
            publishedAt: head.publishedAt,
          },
          logger,
        ),
      )
      .catch((error: unknown) => {
        if (error instanceof PublishError) {
          throw new PublishError(
            error.code,
            `Version ${version} is published and channel ${channel} points to it, but the Worker was not notified: ${error.message}`,
            { cause: error },
          );
        }
        throw error;
      });
    result.notified = true;
    return result;
  } finally {
    store?.destroy();
  }
}

function checkSameContent(existing: Manifest, manifest: Manifest, version: string): void {
  if (sameContent(existing, manifest)) return;
  throw new PublishError(
    "version-conflict",
    `Version ${version} is already published with different files than this commit has. A published version never changes: a rewritten commit must get a new sha (amend or re-commit it), so check that the repository and skills path are the ones that published it`,
  );
}

function buildHead(
  settings: PublishSettings,
  channel: string,
  key: string,
  manifestSha256: string,
  base: string | null,
  manifest: Manifest,
): Head {
  return headSchema.parse({
    schema: 1,
    channel,
    version: manifest.version,
    manifestKey: key,
    manifestSha256,
    base,
    commit: { sha: manifest.commit.sha, timestamp: manifest.commit.timestamp },
    run: settings.source.run,
    publishedAt: new Date().toISOString(),
  });
}

/** The planned counts; a run replaces uploaded and copied with what it did. */
function countsOf(plan: Plan, renamed: ReadonlyMap<string, string>): Partial<PublishResult> {
  return {
    base: plan.base,
    uploaded: plan.upload.length - renamed.size,
    copied: plan.copy.length + renamed.size,
    removed: plan.remove.length,
    skillChanges: plan.skills,
    changedSkills: plan.skills.filter((skill) => skill.status !== "unchanged").map((s) => s.name),
  };
}

function logPlan(plan: Plan, renamed: ReadonlyMap<string, string>, logger: Logger): void {
  logger.info(
    `Plan against ${plan.base ?? "no base"}: upload ${plan.upload.length - renamed.size}, copy ${plan.copy.length + renamed.size}, remove ${plan.remove.length}`,
  );
  for (const skill of plan.skills) {
    logger.info(`${skill.name}: ${skill.status}`, {
      files: skill.files,
      bytes: skill.bytes,
      uploadBytes: skill.uploadBytes,
    });
  }
  for (const file of plan.upload) {
    const source = renamed.get(file.path);
    if (source === undefined) logger.debug(`upload ${file.path}`, { bytes: file.size });
    else logger.debug(`copy ${file.path} from ${source}`);
  }
  for (const file of plan.copy) logger.debug(`copy ${file.path}`);
  for (const path of plan.remove) logger.debug(`remove ${path}`);
}
