/**
 * The SessionStore Durable Object: one instance (`SESSION_STORE_NAME`) keeps
 * every session's pinned version and state, and the WebSocket tickets, in
 * SQLite. A Durable Object runs one call at a time and no method awaits
 * between its reads and writes, so claims cannot race:
 * two requests for the same new session get one `claimed` and one `busy`.
 */

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import type {
  ClaimInput,
  ClaimResult,
  RedeemResult,
  SessionRecord,
  SessionState,
} from "./records.ts";

/** Name of the single SessionStore object. */
export const SESSION_STORE_NAME = "sessions";

/** Used and expired tickets are deleted this long after they expire. */
const TICKET_RETENTION_MS = 60 * 60 * 1000;

type SessionRow = {
  session_id: string;
  version: string;
  channel: string | null;
  manifest_key: string;
  manifest_sha256: string;
  known_file: string | null;
  state: string;
  lease_until: number;
  created_at: number;
  last_seen_at: number;
  ready_at: number | null;
};

type TicketRow = {
  session_id: string;
  expires_at: number;
  used_at: number | null;
};

function toState(value: string): SessionState {
  if (value === "setting-up" || value === "ready" || value === "unmounted") return value;
  throw new Error(`SessionStore contains an invalid session state ${JSON.stringify(value)}`);
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    sessionId: row.session_id,
    version: row.version,
    channel: row.channel,
    manifestKey: row.manifest_key,
    manifestSha256: row.manifest_sha256,
    knownFile: row.known_file,
    state: toState(row.state),
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    readyAt: row.ready_at,
  };
}

/**
 * Adds `known_file` to a sessions table created before it existed. Its rows
 * keep NULL, as do sessions of versions without skills, so their next setup
 * reads the known file from the manifest.
 */
export function addKnownFileColumn(sql: SqlStorage): void {
  const columns = sql.exec<{ name: string }>("PRAGMA table_info(sessions)").toArray();
  if (columns.some((column) => column.name === "known_file")) return;
  sql.exec("ALTER TABLE sessions ADD COLUMN known_file TEXT");
}

export class SessionStore extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        session_id TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        channel TEXT,
        manifest_key TEXT NOT NULL,
        manifest_sha256 TEXT NOT NULL,
        known_file TEXT,
        state TEXT NOT NULL,
        lease_until INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        ready_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions (last_seen_at);
      CREATE TABLE IF NOT EXISTS tickets (
        ticket_sha256 TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS tickets_expires ON tickets (expires_at);
    `);
    addKnownFileColumn(this.sql);
  }

  private row(sessionId: string): SessionRow | undefined {
    return this.sql
      .exec<SessionRow>("SELECT * FROM sessions WHERE session_id = ?", sessionId)
      .toArray()[0];
  }

  private required(sessionId: string): SessionRecord {
    const row = this.row(sessionId);
    if (row === undefined)
      throw new Error(`SessionStore has no session ${JSON.stringify(sessionId)}`);
    return toRecord(row);
  }

  /** Returns the session's record, or `null` for an unknown session. */
  async lookup(sessionId: string): Promise<SessionRecord | null> {
    const row = this.row(sessionId);
    return row === undefined ? null : toRecord(row);
  }

  /** Takes the setup lease of a session; see `ClaimResult` for the outcomes. */
  async claimSetup(input: ClaimInput): Promise<ClaimResult> {
    const row = this.row(input.sessionId);
    const leaseUntil = input.nowMs + input.leaseMs;
    const leaseLive = row !== undefined && row.lease_until > input.nowMs;

    // A new session, or one whose first setup stalled without finishing:
    // nothing was ever mounted for it, so it may start over with any version.
    if (row === undefined || (row.state === "setting-up" && !leaseLive && row.ready_at === null)) {
      this.sql.exec(
        `INSERT OR REPLACE INTO sessions
           (session_id, version, channel, manifest_key, manifest_sha256, known_file, state,
            lease_until, created_at, last_seen_at, ready_at)
         VALUES (?, ?, ?, ?, ?, ?, 'setting-up', ?, ?, ?, NULL)`,
        input.sessionId,
        input.version,
        input.channel,
        input.manifestKey,
        input.manifestSha256,
        input.knownFile,
        leaseUntil,
        input.nowMs,
        input.nowMs,
      );
      return { outcome: "claimed", created: true, record: this.required(input.sessionId) };
    }

    const record = toRecord(row);
    if (row.version !== input.version) return { outcome: "conflict", record };
    if (row.state === "setting-up" && leaseLive) return { outcome: "busy", record };
    if (row.state === "ready" && !input.remount) {
      this.touch(input.sessionId, input.nowMs);
      return { outcome: "ready", record: this.required(input.sessionId) };
    }
    this.sql.exec(
      "UPDATE sessions SET state = 'setting-up', lease_until = ?, last_seen_at = ? WHERE session_id = ?",
      leaseUntil,
      input.nowMs,
      input.sessionId,
    );
    return { outcome: "claimed", created: false, record: this.required(input.sessionId) };
  }

  /** Marks the session set up; the caller held the lease from `claimSetup`. */
  async finishSetup(sessionId: string, nowMs: number): Promise<SessionRecord> {
    this.sql.exec(
      "UPDATE sessions SET state = 'ready', lease_until = 0, ready_at = ?, last_seen_at = ? WHERE session_id = ?",
      nowMs,
      nowMs,
      sessionId,
    );
    return this.required(sessionId);
  }

  /**
   * Releases the lease after a failed setup. A session that was `created` by
   * the claim is forgotten, so a retry may pick another version. An older
   * session keeps its version and is marked `unmounted`.
   */
  async abandonSetup(sessionId: string, created: boolean): Promise<void> {
    if (created) {
      this.sql.exec("DELETE FROM sessions WHERE session_id = ? AND ready_at IS NULL", sessionId);
      return;
    }
    this.sql.exec(
      "UPDATE sessions SET state = 'unmounted', lease_until = 0 WHERE session_id = ?",
      sessionId,
    );
  }

  /** Records that a request used the session. */
  private touch(sessionId: string, nowMs: number): void {
    this.sql.exec(
      "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE session_id = ?",
      nowMs,
      sessionId,
    );
  }

  /** Stores a ticket by its SHA-256 (the ticket itself is never stored) and drops old tickets. */
  async issueTicket(input: {
    ticketSha256: string;
    sessionId: string;
    expiresAt: number;
    nowMs: number;
  }): Promise<void> {
    this.sql.exec("DELETE FROM tickets WHERE expires_at < ?", input.nowMs - TICKET_RETENTION_MS);
    this.sql.exec(
      "INSERT INTO tickets (ticket_sha256, session_id, expires_at, used_at) VALUES (?, ?, ?, NULL)",
      input.ticketSha256,
      input.sessionId,
      input.expiresAt,
    );
  }

  /** Uses a ticket up; see `RedeemResult` for the outcomes. */
  async redeemTicket(input: {
    ticketSha256: string;
    sessionId: string;
    nowMs: number;
  }): Promise<RedeemResult> {
    const ticket = this.sql
      .exec<TicketRow>(
        "SELECT session_id, expires_at, used_at FROM tickets WHERE ticket_sha256 = ?",
        input.ticketSha256,
      )
      .toArray()[0];
    if (ticket === undefined) return { outcome: "unknown" };
    if (ticket.used_at !== null) return { outcome: "used" };
    this.sql.exec(
      "UPDATE tickets SET used_at = ? WHERE ticket_sha256 = ?",
      input.nowMs,
      input.ticketSha256,
    );
    if (ticket.expires_at <= input.nowMs) return { outcome: "expired" };
    if (ticket.session_id !== input.sessionId) return { outcome: "wrong-session" };
    const row = this.row(input.sessionId);
    if (row === undefined) return { outcome: "unknown" };
    this.touch(input.sessionId, input.nowMs);
    return { outcome: "ok", record: this.required(input.sessionId) };
  }

  /**
   * Returns the versions of sessions seen since `sinceMs` or being set up
   * now, sorted, for pruning to keep.
   *
   * NOTE: a session is seen when it calls POST /sessions or redeems a
   * ticket. A WebSocket that stays open longer than the window does not
   * count, so its version could be pruned under it unless the client calls
   * POST /sessions again within RETAIN_HOURS.
   */
  async versionsInUse(sinceMs: number): Promise<string[]> {
    const rows = this.sql
      .exec<{ version: string }>(
        "SELECT DISTINCT version FROM sessions WHERE last_seen_at >= ? OR state = 'setting-up' ORDER BY version",
        sinceMs,
      )
      .toArray();
    return rows.map((row) => row.version);
  }
}
