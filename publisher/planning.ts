/**
 * The plan phase: read what the bucket has for the channel and the version
 * (read-only, so dry runs use it too), plan the new version against the
 * head's manifest by content, and report the plan.
 */

import type { Logger } from "../core/logger.ts";
import type { Manifest } from "../core/manifest.ts";
import { findRenamed, indexBase, type LocalFile, type Plan, planVersion } from "../core/plan.ts";
import { type BucketState, readBucketState } from "./base.ts";
import type { S3Store } from "./store.ts";
import type { PublishResult } from "./types.ts";

export interface PublishPlan {
  plan: Plan;
  /** Planned uploads that are copied from another path of the base, by new path. */
  renamed: Map<string, string>;
}

/** Reads the channel's head, its manifest and any manifest of `version`; without a store, none. */
export async function readState(
  store: S3Store | undefined,
  root: string,
  channel: string,
  version: string,
  logger: Logger,
): Promise<BucketState> {
  if (store !== undefined) return readBucketState(store, root, channel, version, logger);
  logger.warn("No bucket configured: planning against no base");
  return { head: undefined, base: null, existing: undefined };
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
