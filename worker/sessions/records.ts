/** The SessionStore Durable Object's RPC contract: what callers send and receive. */

/**
 * - `setting-up`: one request holds the setup lease and is mounting.
 * - `ready`: the version was mounted and checked, and the agent started.
 * - `unmounted`: the version is pinned, but a setup failed after the
 *   session existed; the next request mounts it again.
 */
export type SessionState = "setting-up" | "ready" | "unmounted";

export interface SessionRecord {
  sessionId: string;
  /** The version the session is pinned to, for its whole life. */
  version: string;
  /** The channel the version was resolved from, or `null` when the version was named. */
  channel: string | null;
  /** Key and SHA-256 of the version's manifest, so a remount needs no registry lookup. */
  manifestKey: string;
  manifestSha256: string;
  /**
   * The file a mount must show, relative to the version root, from the
   * registry; `null` when the manifest has to name it.
   */
  knownFile: string | null;
  state: SessionState;
  /** Unix milliseconds. */
  createdAt: number;
  /** Unix milliseconds of the last request that used the session. */
  lastSeenAt: number;
  /** Unix milliseconds of the last finished setup, or `null` before the first. */
  readyAt: number | null;
}

export interface ClaimInput {
  sessionId: string;
  version: string;
  channel: string | null;
  manifestKey: string;
  manifestSha256: string;
  knownFile: string | null;
  nowMs: number;
  /** How long the claim lasts before another request may take over a stalled setup. */
  leaseMs: number;
  /** Claim a `ready` session too: its container restarted and lost the mount. */
  remount: boolean;
}

/**
 * - `claimed`: the caller holds the setup lease and must call `finishSetup`
 *   or `abandonSetup`; `created` is true for a new session.
 * - `ready`: the session is set up already (only when `remount` is false).
 * - `busy`: another request is setting the session up.
 * - `conflict`: the session is pinned to another version.
 */
export type ClaimResult =
  | { outcome: "claimed"; created: boolean; record: SessionRecord }
  | { outcome: "ready"; record: SessionRecord }
  | { outcome: "busy"; record: SessionRecord }
  | { outcome: "conflict"; record: SessionRecord };

/**
 * - `ok`: the ticket was valid and is now used.
 * - `unknown`: no ticket has that value.
 * - `expired`, `used`: the ticket existed but can no longer be used.
 * - `wrong-session`: the ticket was issued for another session; it is used up too.
 */
export type RedeemResult =
  | { outcome: "ok"; record: SessionRecord }
  | { outcome: "unknown" | "expired" | "used" | "wrong-session" };
