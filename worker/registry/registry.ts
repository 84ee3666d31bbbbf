/**
 * The Registry Durable Object: the one place that records versions, moves
 * channels and prunes. All state is in its SQLite storage, and each RPC
 * method that writes runs without awaiting in between, so deliveries and
 * rollbacks never interleave.
 */

import { DurableObject } from "cloudflare:workers";
import { assertChannel, assertVersionId, isChannel, isVersionId } from "../../core/ids.ts";
import { createBucket } from "../bucket/index.ts";
import type { Bucket } from "../bucket/types.ts";
import { loadConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { describe } from "../errors.ts";
import { jsonLogger } from "../log.ts";
import { runPrune } from "../prune/run.ts";
import { type SessionVersions, sessionVersions } from "../prune/sources.ts";
import { deleteOldDeliveries, lookupDelivery, recordPublish } from "./publish.ts";
import {
  channelDetail,
  findChannel,
  findVersion,
  knownFileOfRow,
  listChannelRecords,
  listVersionRecords,
  setChannel,
  toChannelRecord,
  toVersionRecord,
} from "./records.ts";
import { migrate } from "./schema.ts";
import type {
  ChannelDetail,
  ChannelRecord,
  DeliveryLookup,
  PruneReport,
  PublishInput,
  PublishResponse,
  ResolveResult,
  RollbackResult,
  VersionRecord,
} from "./types.ts";

/** Returns the message of the error `assert` throws for an invalid id. */
function invalidMessage(assert: () => unknown): string {
  try {
    assert();
  } catch (error) {
    if (error instanceof Error) return error.message;
  }
  return "Invalid id";
}

/** Time between pruning runs, in milliseconds. */
export const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export class Registry extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  readonly #logger = jsonLogger({ service: "r2-skills", component: "registry" });
  /** Versions whose objects a pruning run is deleting right now. */
  readonly #pruning = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrate(this.#sql);
  }

  /** Looks up a delivery by `webhook-id` before the Worker reads the manifest. */
  findDelivery(webhookId: string, bodySha256: string): DeliveryLookup {
    return lookupDelivery(this.#sql, webhookId, bodySha256);
  }

  /** Records a verified notification and returns the response for the sender. */
  async publish(input: PublishInput): Promise<PublishResponse> {
    const version = input.notification.data.version;
    if (this.#pruning.has(version)) {
      // The run has deleted or is deleting the manifest the route read, so
      // recording it now could point a channel at a version without objects.
      return {
        status: 503,
        body: {
          error: {
            code: "version_being_pruned",
            message: `Version ${version} is being pruned from the bucket; publish its commit again once the pruning run ends`,
          },
        },
      };
    }
    const recorded = findVersion(this.#sql, version);
    if (
      recorded !== undefined &&
      recorded.pruned_at !== null &&
      lookupDelivery(this.#sql, input.webhookId, input.bodySha256).kind === "new"
    ) {
      // The route read the manifest before this call; a pruning run that
      // ran in between deleted it, and recording now would revive a version
      // without objects. A pruned version is no pruning candidate, so no run
      // can start on it during this await.
      const manifest = await createBucket(loadConfig(this.env), this.env).head(
        recorded.manifest_key,
      );
      if (manifest === null) {
        return {
          status: 503,
          body: {
            error: {
              code: "manifest_not_found",
              message: `Version ${version} was pruned and its manifest ${recorded.manifest_key} is not in the bucket; publish its commit again`,
            },
          },
        };
      }
    }
    const now = Date.now();
    const response = this.ctx.storage.transactionSync(() => {
      const lookup = lookupDelivery(this.#sql, input.webhookId, input.bodySha256);
      if (lookup.kind === "replay") return lookup.response;
      if (lookup.kind === "conflict") return undefined;
      return recordPublish(this.#sql, input, now);
    });
    if (response === undefined) {
      return {
        status: 409,
        body: {
          error: {
            code: "webhook_id_reused",
            message: `webhook-id ${JSON.stringify(input.webhookId)} was already delivered with another body; give each new notification a new id`,
          },
        },
      };
    }
    await this.#scheduleAlarm(now);
    return response;
  }

  /**
   * Finds the version a session mounts: `version` when given (it must be
   * recorded and not pruned), else the current version of `channel` or of
   * DEFAULT_CHANNEL.
   */
  resolve(request: { channel?: string; version?: string }): ResolveResult {
    // A malformed id is never recorded; callers validate ids first, so this only guards the RPC.
    if (request.channel !== undefined && !isChannel(request.channel)) {
      return {
        ok: false,
        reason: "unknown-channel",
        message: invalidMessage(() => assertChannel(request.channel)),
      };
    }
    if (request.version !== undefined && !isVersionId(request.version)) {
      return {
        ok: false,
        reason: "unknown-version",
        message: invalidMessage(() => assertVersionId(request.version)),
      };
    }
    const channel = request.channel;
    if (request.version !== undefined) {
      const version = request.version;
      const refusal = this.#unusableVersion(version);
      if (refusal !== undefined) return refusal;
      const row = findVersion(this.#sql, version);
      if (row === undefined) throw new Error(`Version ${version} was not found after its check`);
      return {
        ok: true,
        version,
        channel: channel ?? null,
        manifestKey: row.manifest_key,
        manifestSha256: row.manifest_sha256,
        knownFile: knownFileOfRow(row),
      };
    }
    const name = channel ?? loadConfig(this.env).defaultChannel;
    const current = findChannel(this.#sql, name);
    if (current === undefined) {
      return {
        ok: false,
        reason: "unknown-channel",
        message: `Channel "${name}" has no published version`,
      };
    }
    const row = findVersion(this.#sql, current.version);
    if (row === undefined || row.pruned_at !== null) {
      return {
        ok: false,
        reason: "no-current-version",
        message: `Channel "${name}" points at ${current.version}, whose objects are gone; roll the channel back to a recorded version`,
      };
    }
    return {
      ok: true,
      version: row.version,
      channel: name,
      manifestKey: row.manifest_key,
      manifestSha256: row.manifest_sha256,
      knownFile: knownFileOfRow(row),
    };
  }

  getVersion(version: string): VersionRecord | null {
    if (!isVersionId(version)) return null;
    const row = findVersion(this.#sql, version);
    return row === undefined ? null : toVersionRecord(this.#sql, row);
  }

  listVersions(): VersionRecord[] {
    return listVersionRecords(this.#sql);
  }

  listChannels(): ChannelRecord[] {
    return listChannelRecords(this.#sql);
  }

  getChannel(channel: string): ChannelDetail | null {
    if (!isChannel(channel)) return null;
    return channelDetail(this.#sql, channel) ?? null;
  }

  /**
   * Points `channel` at any recorded version that still has its objects:
   * a rollback or a promotion. The channel may be new. Until a version the
   * registry has not seen is published to it, notifications leave it alone.
   */
  async rollback(channel: string, version: string, reason: string): Promise<RollbackResult> {
    assertChannel(channel);
    assertVersionId(version);
    const refusal = this.#unusableVersion(version);
    if (refusal !== undefined) return refusal;
    const manifestKey = findVersion(this.#sql, version)?.manifest_key ?? "";
    // A pruning run that failed after deleting the manifest leaves the
    // version recorded and unmarked, but no session could mount it.
    const manifest = await createBucket(loadConfig(this.env), this.env).head(manifestKey);
    if (manifest === null) {
      return {
        ok: false,
        reason: "incomplete-version",
        message: `Version ${version} has no manifest ${manifestKey} in the bucket; publish its commit again to restore it`,
      };
    }
    // Checked again, because a pruning run may have started during the await.
    const late = this.#unusableVersion(version);
    if (late !== undefined) return late;
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const previous = findChannel(this.#sql, channel)?.version ?? null;
      setChannel(this.#sql, { channel, version, cause: "rollback", reason, pinned: true, now });
      const updated = findChannel(this.#sql, channel);
      if (updated === undefined) throw new Error(`Channel "${channel}" was not written`);
      return { ok: true, channel: toChannelRecord(updated), previous };
    });
  }

  /** Returns why `version` cannot be served or become current now, or `undefined` when it can. */
  #unusableVersion(
    version: string,
  ): { ok: false; reason: "unknown-version" | "pruned-version"; message: string } | undefined {
    const row = findVersion(this.#sql, version);
    if (row === undefined) {
      return {
        ok: false,
        reason: "unknown-version",
        message: `Version ${version} is not recorded`,
      };
    }
    if (row.pruned_at !== null || this.#pruning.has(version)) {
      return {
        ok: false,
        reason: "pruned-version",
        message: `Version ${version} was pruned from the bucket; publish its commit again to restore it`,
      };
    }
    return undefined;
  }

  /** Runs one pruning run now; the alarm calls it every PRUNE_INTERVAL_MS. */
  async prune(): Promise<PruneReport> {
    return this.pruneWith(sessionVersions(this.env));
  }

  /**
   * Runs one pruning run with `sessions` as the source of versions in use,
   * and `bucket` in place of the configured bucket when given (for tests).
   */
  async pruneWith(sessions: SessionVersions, bucket?: Bucket): Promise<PruneReport> {
    const config = loadConfig(this.env);
    const now = Date.now();
    deleteOldDeliveries(this.#sql, now);
    const report = await runPrune({
      sql: this.#sql,
      bucket: bucket ?? createBucket(config, this.env),
      rootPrefix: config.rootPrefix,
      retainVersions: config.retainVersions,
      retainHours: config.retainHours,
      sessions,
      now,
      logger: this.#logger,
      pruning: this.#pruning,
    });
    this.#logger.info("prune finished", {
      pruned: report.pruned.length,
      kept: Object.keys(report.kept).length,
      skipped: report.skipped,
    });
    return report;
  }

  override async alarm(): Promise<void> {
    try {
      await this.prune();
    } catch (error) {
      this.#logger.error("prune failed", { error: describe(error) });
    }
    await this.ctx.storage.setAlarm(Date.now() + PRUNE_INTERVAL_MS);
  }

  async #scheduleAlarm(now: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(now + PRUNE_INTERVAL_MS);
    }
  }
}
