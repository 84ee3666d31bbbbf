/**
 * Recording a publish notification: the version, its publication to a
 * channel, whether it becomes the channel's current version, and the
 * delivery's response for replays. Runs synchronously inside the Registry,
 * so two deliveries never interleave.
 */

import {
  type ChannelRow,
  findChannel,
  findVersion,
  iso,
  setChannel,
  type VersionRow,
} from "./records.ts";
import type { DeliveryLookup, PublishInput, PublishOutcome, StoredResponse } from "./types.ts";

/**
 * How long a delivery's response is kept. Standard Webhooks senders stop
 * retrying once the 5-minute timestamp tolerance has passed; a day leaves
 * a wide margin.
 */
export const DELIVERY_RETENTION_MS = 24 * 60 * 60 * 1000;

type DeliveryRow = { body_sha256: string; status: number; response: string };

export function lookupDelivery(
  sql: SqlStorage,
  webhookId: string,
  bodySha256: string,
): DeliveryLookup {
  const row = sql
    .exec<DeliveryRow>(
      "SELECT body_sha256, status, response FROM deliveries WHERE webhook_id = ?",
      webhookId,
    )
    .toArray()[0];
  if (row === undefined) return { kind: "new" };
  if (row.body_sha256 !== bodySha256) return { kind: "conflict" };
  const response = (
    row.status === 409
      ? { status: 409, body: JSON.parse(row.response) }
      : { status: 200, body: JSON.parse(row.response) }
  ) as StoredResponse;
  return { kind: "replay", response };
}

function storeDelivery(
  sql: SqlStorage,
  input: PublishInput,
  response: StoredResponse,
  now: number,
): void {
  sql.exec(
    "INSERT OR REPLACE INTO deliveries (webhook_id, body_sha256, status, response, received_at) VALUES (?, ?, ?, ?, ?)",
    input.webhookId,
    input.bodySha256,
    response.status,
    JSON.stringify(response.body),
    now,
  );
}

export function deleteOldDeliveries(sql: SqlStorage, now: number): void {
  sql.exec("DELETE FROM deliveries WHERE received_at < ?", now - DELIVERY_RETENTION_MS);
}

/** A delivery's position in a channel's order: commit time, then publish time. */
interface Position {
  commitTime: number;
  publishedAt: number;
}

function isNewer(candidate: Position, current: Position): boolean {
  if (candidate.commitTime !== current.commitTime) return candidate.commitTime > current.commitTime;
  return candidate.publishedAt > current.publishedAt;
}

/** Returns the current version's position: its publication to this channel, else its first record. */
function positionOf(sql: SqlStorage, channel: ChannelRow): Position {
  const publication = sql
    .exec<{ commit_time: number; published_at: number }>(
      "SELECT commit_time, published_at FROM publications WHERE channel = ? AND version = ?",
      channel.channel,
      channel.version,
    )
    .toArray()[0];
  const row = publication ?? findVersion(sql, channel.version);
  return { commitTime: row?.commit_time ?? 0, publishedAt: row?.published_at ?? 0 };
}

function decide(
  sql: SqlStorage,
  channel: string,
  version: string,
  seen: boolean,
  candidate: Position,
): { move: boolean; reason: string } {
  const current = findChannel(sql, channel);
  if (current === undefined) {
    return { move: true, reason: `first version published to channel "${channel}"` };
  }
  if (current.version === version) {
    return { move: false, reason: `already the current version of channel "${channel}"` };
  }
  if (current.pinned === 1 && seen) {
    return {
      move: false,
      reason: `channel "${channel}" was rolled back to ${current.version}; only a version the registry has not seen before moves it (use POST /channels/${channel}/rollback to choose this one)`,
    };
  }
  const position = positionOf(sql, current);
  if (!isNewer(candidate, position)) {
    return {
      move: false,
      reason: `channel "${channel}" points at ${current.version}, committed ${iso(position.commitTime)}, which is not older than this version's commit ${iso(candidate.commitTime)}`,
    };
  }
  return { move: true, reason: `newer than ${current.version}, the previous current version` };
}

function insertVersion(
  sql: SqlStorage,
  input: PublishInput,
  position: Position,
  now: number,
): void {
  const data = input.notification.data;
  sql.exec(
    `INSERT INTO versions (version, manifest_key, manifest_sha256, commit_time, published_at, recorded_at, summary, pruned_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
    data.version,
    data.manifestKey,
    data.manifestSha256,
    position.commitTime,
    position.publishedAt,
    now,
    JSON.stringify(input.summary),
  );
}

function recordPublication(
  sql: SqlStorage,
  channel: string,
  version: string,
  position: Position,
  now: number,
): void {
  sql.exec(
    `INSERT INTO publications (channel, version, commit_time, published_at, recorded_at)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (channel, version) DO UPDATE SET
       published_at = max(published_at, excluded.published_at), recorded_at = excluded.recorded_at`,
    channel,
    version,
    position.commitTime,
    position.publishedAt,
    now,
  );
}

function manifestConflict(existing: VersionRow, input: PublishInput): StoredResponse {
  const data = input.notification.data;
  return {
    status: 409,
    body: {
      error: {
        code: "manifest_conflict",
        message: `Version ${data.version} is recorded with manifest sha256 ${existing.manifest_sha256}, but this notification names ${data.manifestSha256}; a version's manifest never changes, so publish the new content as a new version`,
      },
    },
  };
}

/**
 * Records a verified notification whose manifest was checked, and returns the
 * response to send (and to send again for a replay of the same delivery).
 */
export function recordPublish(sql: SqlStorage, input: PublishInput, now: number): StoredResponse {
  const data = input.notification.data;
  const position: Position = {
    commitTime: Date.parse(data.commit.timestamp),
    publishedAt: Date.parse(data.publishedAt),
  };
  const existing = findVersion(sql, data.version);
  if (existing !== undefined && existing.manifest_sha256 !== data.manifestSha256) {
    const response = manifestConflict(existing, input);
    storeDelivery(sql, input, response, now);
    return response;
  }
  if (existing === undefined) {
    insertVersion(sql, input, position, now);
  } else if (existing.pruned_at !== null) {
    // The route found the manifest in the bucket again, so the version was published anew.
    sql.exec("UPDATE versions SET pruned_at = NULL WHERE version = ?", data.version);
  }
  recordPublication(sql, data.channel, data.version, position, now);

  const decision = decide(sql, data.channel, data.version, existing !== undefined, position);
  if (decision.move) {
    setChannel(sql, {
      channel: data.channel,
      version: data.version,
      cause: "publish",
      reason: decision.reason,
      pinned: false,
      now,
    });
  }
  const current = findChannel(sql, data.channel)?.version === data.version;
  const outcome: PublishOutcome = {
    version: data.version,
    channel: data.channel,
    current,
    reason: decision.reason,
  };
  const response: StoredResponse = { status: 200, body: outcome };
  storeDelivery(sql, input, response, now);
  return response;
}
