/**
 * The Registry's SQLite tables. Times are Unix milliseconds.
 *
 * - `versions`: every version a notification recorded, with its manifest
 *   key, digest and summary; `pruned_at` is set once its objects are deleted.
 * - `publications`: each (channel, version) a notification named, so
 *   retention can count the last versions published to a channel.
 * - `channels`: the current version of each channel and why it changed;
 *   `pinned` is 1 after a rollback until a version not seen before arrives.
 * - `channel_changes`: the history of every channel.
 * - `deliveries`: responses by `webhook-id`, so a replay gets the same one.
 */

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS versions (
    version TEXT PRIMARY KEY,
    manifest_key TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    commit_time INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    summary TEXT NOT NULL,
    pruned_at INTEGER
  )`,
  `CREATE TABLE IF NOT EXISTS publications (
    channel TEXT NOT NULL,
    version TEXT NOT NULL,
    commit_time INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (channel, version)
  )`,
  `CREATE TABLE IF NOT EXISTS channels (
    channel TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    cause TEXT NOT NULL,
    reason TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0
  )`,
  `CREATE TABLE IF NOT EXISTS channel_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    version TEXT NOT NULL,
    previous TEXT,
    changed_at INTEGER NOT NULL,
    cause TEXT NOT NULL,
    reason TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS channel_changes_by_channel ON channel_changes (channel, id)",
  `CREATE TABLE IF NOT EXISTS deliveries (
    webhook_id TEXT PRIMARY KEY,
    body_sha256 TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    received_at INTEGER NOT NULL
  )`,
];

export function migrate(sql: SqlStorage): void {
  for (const statement of STATEMENTS) sql.exec(statement);
}
