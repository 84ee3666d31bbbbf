/** Reads and writes of the Registry's tables, and their conversion to RPC records. */

import type {
  ChannelChange,
  ChannelDetail,
  ChannelRecord,
  VersionRecord,
  VersionSummary,
} from "./types.ts";

export type VersionRow = {
  version: string;
  manifest_key: string;
  manifest_sha256: string;
  commit_time: number;
  published_at: number;
  recorded_at: number;
  summary: string;
  pruned_at: number | null;
};

export type ChannelRow = {
  channel: string;
  version: string;
  changed_at: number;
  cause: string;
  reason: string;
  pinned: number;
};

type ChangeRow = {
  version: string;
  previous: string | null;
  changed_at: number;
  cause: string;
  reason: string;
};

type PublicationRow = { channel: string; published_at: number };

export type ChangeCause = "publish" | "rollback";

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function cause(value: string): ChangeCause {
  return value === "rollback" ? "rollback" : "publish";
}

export function findVersion(sql: SqlStorage, version: string): VersionRow | undefined {
  return sql.exec<VersionRow>("SELECT * FROM versions WHERE version = ?", version).toArray()[0];
}

export function findChannel(sql: SqlStorage, channel: string): ChannelRow | undefined {
  return sql.exec<ChannelRow>("SELECT * FROM channels WHERE channel = ?", channel).toArray()[0];
}

export function toVersionRecord(sql: SqlStorage, row: VersionRow): VersionRecord {
  const currentOn = sql
    .exec<{ channel: string }>(
      "SELECT channel FROM channels WHERE version = ? ORDER BY channel",
      row.version,
    )
    .toArray()
    .map((entry) => entry.channel);
  const publishedTo = sql
    .exec<PublicationRow>(
      "SELECT channel, published_at FROM publications WHERE version = ? ORDER BY published_at DESC, channel",
      row.version,
    )
    .toArray()
    .map((entry) => ({ channel: entry.channel, publishedAt: iso(entry.published_at) }));
  return {
    version: row.version,
    manifestKey: row.manifest_key,
    manifestSha256: row.manifest_sha256,
    recordedAt: iso(row.recorded_at),
    prunedAt: row.pruned_at === null ? null : iso(row.pruned_at),
    currentOn,
    publishedTo,
    summary: JSON.parse(row.summary) as VersionSummary,
  };
}

/**
 * Returns the file a mount of the version must show: the SKILL.md of the
 * manifest's first skill, whose folder the manifest schema requires to
 * equal its name, or `null` without skills.
 */
export function knownFileOfRow(row: VersionRow): string | null {
  const summary = JSON.parse(row.summary) as VersionSummary;
  const first = summary.skills[0];
  return first === undefined ? null : `${first.name}/SKILL.md`;
}

/** Recorded versions, newest commit first, then newest publish. */
export function listVersionRecords(sql: SqlStorage): VersionRecord[] {
  return sql
    .exec<VersionRow>(
      "SELECT * FROM versions ORDER BY commit_time DESC, published_at DESC, version",
    )
    .toArray()
    .map((row) => toVersionRecord(sql, row));
}

export function toChannelRecord(row: ChannelRow): ChannelRecord {
  return {
    channel: row.channel,
    version: row.version,
    changedAt: iso(row.changed_at),
    cause: cause(row.cause),
    reason: row.reason,
  };
}

export function listChannelRecords(sql: SqlStorage): ChannelRecord[] {
  return sql
    .exec<ChannelRow>("SELECT * FROM channels ORDER BY channel")
    .toArray()
    .map(toChannelRecord);
}

export function channelDetail(sql: SqlStorage, channel: string): ChannelDetail | undefined {
  const row = findChannel(sql, channel);
  if (row === undefined) return undefined;
  const history: ChannelChange[] = sql
    .exec<ChangeRow>(
      "SELECT version, previous, changed_at, cause, reason FROM channel_changes WHERE channel = ? ORDER BY id DESC",
      channel,
    )
    .toArray()
    .map((change) => ({
      version: change.version,
      previous: change.previous,
      changedAt: iso(change.changed_at),
      cause: cause(change.cause),
      reason: change.reason,
    }));
  return { ...toChannelRecord(row), history };
}

export interface ChannelChangeInput {
  channel: string;
  version: string;
  cause: ChangeCause;
  reason: string;
  /** Whether later notifications of versions already seen leave the channel alone. */
  pinned: boolean;
  now: number;
}

/** Points a channel at a version and appends the change to its history. */
export function setChannel(sql: SqlStorage, change: ChannelChangeInput): void {
  const previous = findChannel(sql, change.channel)?.version ?? null;
  sql.exec(
    `INSERT INTO channels (channel, version, changed_at, cause, reason, pinned)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (channel) DO UPDATE SET version = excluded.version,
       changed_at = excluded.changed_at, cause = excluded.cause,
       reason = excluded.reason, pinned = excluded.pinned`,
    change.channel,
    change.version,
    change.now,
    change.cause,
    change.reason,
    change.pinned ? 1 : 0,
  );
  sql.exec(
    "INSERT INTO channel_changes (channel, version, previous, changed_at, cause, reason) VALUES (?, ?, ?, ?, ?, ?)",
    change.channel,
    change.version,
    previous,
    change.now,
    change.cause,
    change.reason,
  );
}
