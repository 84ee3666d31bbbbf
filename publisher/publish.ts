/**
 * Publishes the skills of a repository as one immutable version:
 * validate, plan against the channel's head, write the objects, then the
 * manifest (last, so an interrupted run leaves no half version), then the
 * head, then notify the Worker.
 */

import { formatCount } from "../core/format.ts";
import { assertChannel, InvalidIdError } from "../core/ids.ts";
import { keyBytes, MAX_KEY_BYTES, manifestKey, normalizePrefix, objectKey } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import { InvalidSecretError } from "../core/signing.ts";
import { type CheckedSource, readSource } from "./checked-source.ts";
import { PublishError } from "./errors.ts";
import { writeHead, writeManifest } from "./finalize.ts";
import { checkSecrets, type NotificationData, parseDecision, sendNotification } from "./notify.ts";
import { type PrefetchedState, prefetchState, readState } from "./planning.ts";
import { S3Store } from "./store.ts";
import type { NotifySettings, PublishResult, PublishSettings, WorkerDecision } from "./types.ts";
import { hasErrors } from "./validate.ts";
import { writeHashed, writeStreamed } from "./write-phase.ts";

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

/**
 * Publishes `settings.source` to `settings.channel`. Returns outcome
 * `invalid` with the problems when validation fails; throws `PublishError`
 * for every other failure.
 */
export async function publish(settings: PublishSettings, logger: Logger): Promise<PublishResult> {
  const { channel, root } = checkSettings(settings);
  const source = settings.source;

  const store = settings.store === undefined ? undefined : new S3Store(settings.store, { logger });
  try {
    const prefetched =
      store !== undefined && source.mode === "commit"
        ? prefetchState(store, root, channel, source.repositoryRoot)
        : undefined;
    const checked = await logger.group("validate", () => readSource(settings, logger));
    return await publishChecked({ settings, channel, root, checked, store, prefetched }, logger);
  } finally {
    store?.destroy();
  }
}

/**
 * Throws before anything is written when a file's object key would pass
 * S3's limit: paths are checked alone, but the prefix and version add to them.
 */
function checkKeyLengths(
  root: string,
  version: string,
  entries: readonly { path: string }[],
): void {
  const long = entries
    .map((entry) => ({ path: entry.path, bytes: keyBytes(objectKey(root, version, entry.path)) }))
    .filter((entry) => entry.bytes > MAX_KEY_BYTES);
  const first = long[0];
  if (first === undefined) return;
  throw new PublishError(
    "invalid-settings",
    `${formatCount(long.length, "file")} would get an object key longer than the ${MAX_KEY_BYTES}-byte limit of S3 and R2, such as ${JSON.stringify(first.path)} (${first.bytes} bytes with the prefix ${JSON.stringify(root)} and the version): shorten the file's path or the prefix`,
  );
}

/** The state of a publish once its source is validated. */
interface CheckedPublish {
  settings: PublishSettings;
  channel: string;
  root: string;
  checked: CheckedSource;
  store: S3Store | undefined;
  /** The bucket state read during validation, in commit mode. */
  prefetched: Promise<PrefetchedState | undefined> | undefined;
}

/** Plans, writes and announces the validated source; see `publish`. */
async function publishChecked(input: CheckedPublish, logger: Logger): Promise<PublishResult> {
  const { settings, channel, root, checked, store, prefetched } = input;
  const source = settings.source;
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

  const state = await logger.group("plan", () =>
    readState(store, root, channel, version, logger, prefetched),
  );
  checkKeyLengths(root, version, checked.entries);
  // A new version in commit mode needs no digest before its first write.
  const streamed =
    store !== undefined &&
    !settings.dryRun &&
    state.existing === undefined &&
    checked.files === undefined;
  const written = streamed
    ? await writeStreamed({ ...input, store }, state, result, logger)
    : await writeHashed(input, state, result, logger);
  // A dry run stops after the plan.
  if (written === undefined || store === undefined) return result;

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
        replaceNewer: source.mode === "working-tree",
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
    const response = await sendNotification(settings, data, logger);
    result.decision = parseDecision(response.body);
    logDecision(result.decision, data, logger);
  } catch (error: unknown) {
    if (!(error instanceof PublishError)) throw error;
    throw new PublishError(
      error.code,
      `Version ${data.version} is published and the head of channel ${data.channel} names it, but the Worker was not notified, so the channel's current version is unchanged: ${error.message}. After fixing this, re-run the publish or send the notification again with: r2-skills notify ${data.version} --channel ${data.channel}`,
      { cause: error, result: { ...result, notified: false } },
    );
  }
}

/** Logs whether the Worker made the version current; the adapters decide how to present it. */
function logDecision(
  decision: WorkerDecision | undefined,
  data: NotificationData,
  logger: Logger,
): void {
  if (decision === undefined) return;
  const fields = { version: data.version, channel: data.channel, reason: decision.reason };
  if (decision.current) {
    logger.info(`Version ${data.version} is current on channel ${data.channel}`, fields);
    return;
  }
  logger.info(
    `The Worker recorded version ${data.version} but kept channel ${data.channel} where it is: ${decision.reason}`,
    fields,
  );
}
