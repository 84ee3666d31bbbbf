/**
 * The plan phase: read what the bucket has for the channel and the version
 * (read-only, so dry runs use it too), plan the new version against the
 * head's manifest by content, and report the plan.
 */

import { type BufferedLogger, createBufferedLogger, type Logger } from "../core/logger.ts";
import type { Manifest } from "../core/manifest.ts";
import { findRenamed, indexBase, type LocalFile, type Plan, planVersion } from "../core/plan.ts";
import { type BucketState, readBucketState } from "./base.ts";
import { headSha } from "./git.ts";
import type { S3Store } from "./store.ts";
import type { PublishResult } from "./types.ts";

export interface PublishPlan {
  plan: Plan;
  /** Planned uploads that are copied from another path of the base, by new path. */
  renamed: Map<string, string>;
}

/** The bucket state read ahead for one version, or the error that read ended with. */
export type PrefetchedState = { version: string; lines: BufferedLogger } & (
  | { state: BucketState }
  | { error: unknown }
);

/**
 * Reads the bucket state for HEAD's commit while validation runs: in commit
 * mode that commit is the version, and the reads do not depend on the
 * result of validation. Never rejects; resolves to `undefined` when HEAD
 * cannot be read, which validation then reports. The lines the reads log
 * wait for `readState`, so they show in the plan phase.
 */
export async function prefetchState(
  store: S3Store,
  root: string,
  channel: string,
  repositoryRoot: string,
): Promise<PrefetchedState | undefined> {
  const version = await headSha(repositoryRoot).catch(() => null);
  if (version === null) return undefined;
  const lines = createBufferedLogger();
  try {
    return { version, lines, state: await readBucketState(store, root, channel, version, lines) };
  } catch (error: unknown) {
    return { version, lines, error };
  }
}

/**
 * Reads the channel's head, its manifest and any manifest of `version`, or
 * nothing without a store. Uses the prefetched state when it is for `version`.
 */
export async function readState(
  store: S3Store | undefined,
  root: string,
  channel: string,
  version: string,
  logger: Logger,
  prefetched?: Promise<PrefetchedState | undefined>,
): Promise<BucketState> {
  if (store === undefined) {
    logger.warn("No bucket configured: planning against no base");
    return { head: undefined, base: null, existing: undefined };
  }
  const early = await prefetched;
  // Another version means HEAD moved during validation; read again for the validated one.
  if (early === undefined || early.version !== version) {
    return readBucketState(store, root, channel, version, logger);
  }
  early.lines.replay(logger);
  if ("error" in early) throw early.error;
  return early.state;
}

/** Plans `files` against the base manifest and logs the plan. */
export function planFiles(
  files: readonly LocalFile[],
  base: Manifest | null,
  logger: Logger,
): PublishPlan {
  const plan = planVersion(files, base);
  const renamed = findRenamed(plan, indexBase(base));
  logPlan(plan, renamed, logger);
  return { plan, renamed };
}

/** Returns the planned counts; a run replaces uploaded and copied with what it did. */
export function plannedCounts(
  plan: Plan,
  renamed: ReadonlyMap<string, string>,
): Pick<
  PublishResult,
  "base" | "uploaded" | "copied" | "removed" | "skillChanges" | "changedSkills" | "bytesUploaded"
> {
  const uploads = plan.upload.filter((file) => !renamed.has(file.path));
  return {
    base: plan.base,
    uploaded: uploads.length,
    copied: plan.copy.length + renamed.size,
    removed: plan.remove.length,
    bytesUploaded: uploads.reduce((sum, file) => sum + file.size, 0),
    skillChanges: plan.skills,
    changedSkills: plan.skills
      .filter((skill) => skill.status !== "unchanged")
      .map((skill) => skill.name),
  };
}

function logPlan(plan: Plan, renamed: ReadonlyMap<string, string>, logger: Logger): void {
  const counts = plannedCounts(plan, renamed);
  logger.info(
    `Plan against ${plan.base ?? "no base"}: upload ${counts.uploaded}, copy ${counts.copied}, remove ${counts.removed}`,
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
