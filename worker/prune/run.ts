/**
 * One pruning run inside the Registry: decide with `selectForPruning`, then
 * for each pruned version delete its manifest first (so it can never be
 * resolved or mounted again), then every object under `versions/<v>/`, then
 * mark it pruned. A run that cannot read the heads or the sessions' versions
 * deletes nothing.
 */

import { versionPrefix } from "../../core/keys.ts";
import type { Logger } from "../../core/logger.ts";
import { type Bucket, listAll } from "../bucket/types.ts";
import { describe } from "../errors.ts";
import type { PruneReport } from "../registry/types.ts";
import { type Publication, selectForPruning } from "./select.ts";
import { headVersions, type SessionVersions } from "./sources.ts";

export interface PruneDeps {
  sql: SqlStorage;
  bucket: Bucket;
  rootPrefix: string;
  retainVersions: number;
  retainHours: number;
  sessions: SessionVersions;
  /** Unix milliseconds. */
  now: number;
  logger: Logger;
  /** Versions this run deletes; the Registry rejects resolving, rolling back to or publishing them. */
  pruning: Set<string>;
}

type CandidateRow = { version: string; manifest_key: string };
type PublicationRow = { channel: string; version: string; published_at: number };

export async function runPrune(deps: PruneDeps): Promise<PruneReport> {
  const { sql, bucket, logger } = deps;
  const candidates = sql
    .exec<CandidateRow>("SELECT version, manifest_key FROM versions WHERE pruned_at IS NULL")
    .toArray();
  if (candidates.length === 0) return { pruned: [], kept: {} };

  let heads: Set<string>;
  let inUse: Set<string>;
  try {
    heads = await headVersions(bucket, deps.rootPrefix);
    inUse = new Set(await deps.sessions.versionsInUse(deps.now - deps.retainHours * 3_600_000));
  } catch (error) {
    const skipped = `could not read the channel heads or the sessions' versions: ${describe(error)}`;
    logger.error("prune skipped", { reason: skipped });
    return { pruned: [], kept: {}, skipped };
  }

  // Read after the awaits above, so a channel moved meanwhile is seen.
  const current = new Set(
    sql
      .exec<{ version: string }>("SELECT version FROM channels")
      .toArray()
      .map((row) => row.version),
  );
  const publications: Publication[] = sql
    .exec<PublicationRow>("SELECT channel, version, published_at FROM publications")
    .toArray()
    .map((row) => ({ channel: row.channel, version: row.version, publishedAt: row.published_at }));
  const decision = selectForPruning({
    candidates: candidates.map((row) => row.version),
    currentVersions: current,
    publications,
    retainVersions: deps.retainVersions,
    headVersions: heads,
    versionsInUse: inUse,
  });

  const manifestKeys = new Map(candidates.map((row) => [row.version, row.manifest_key]));
  const pruned: string[] = [];
  // Marked together with the decision, before the first await: the deletes
  // below yield to other calls, and while a version is marked, rollback,
  // publish and resolve reject it, so no channel or session can take it.
  for (const version of decision.prune) deps.pruning.add(version);
  try {
    await deleteVersions(deps, decision.prune, manifestKeys, pruned);
  } finally {
    for (const version of decision.prune) deps.pruning.delete(version);
  }
  return { pruned, kept: Object.fromEntries(decision.keep) };
}

async function deleteVersions(
  deps: PruneDeps,
  versions: string[],
  manifestKeys: Map<string, string>,
  pruned: string[],
): Promise<void> {
  const { sql, bucket, logger } = deps;
  for (const version of versions) {
    const manifestKey = manifestKeys.get(version);
    if (manifestKey === undefined) continue;
    try {
      await bucket.delete([manifestKey]);
      logger.info("pruned manifest", { version, key: manifestKey });
      const prefix = versionPrefix(deps.rootPrefix, version);
      const keys = await listAll(bucket, prefix);
      await bucket.delete(keys);
      logger.info("pruned objects", { version, prefix, objects: keys.length });
      sql.exec("UPDATE versions SET pruned_at = ? WHERE version = ?", deps.now, version);
      pruned.push(version);
    } catch (error) {
      // The manifest may be gone already; the version stays unmarked, so the next run finishes it.
      logger.error("prune failed", { version, error: describe(error) });
    }
  }
}
