/**
 * The Registry Durable Object's RPC contract: what callers send and receive.
 * Times are Unix milliseconds in storage and ISO 8601 strings in results.
 */

import type { PublishNotification } from "../../core/notification.ts";

/** The manifest facts kept for a version, so the registry answers without the bucket. */
export interface VersionSummary {
  repository: string | null;
  commit: {
    sha: string | null;
    /** The first line of the commit message. */
    subject: string;
    author: string;
    timestamp: string;
    dirty: boolean;
  };
  skills: { name: string; description: string; files: number; bytes: number }[];
  totals: { files: number; bytes: number };
}

export interface VersionRecord {
  version: string;
  manifestKey: string;
  manifestSha256: string;
  /** When the registry first recorded the version. */
  recordedAt: string;
  /** Set once the version's objects were deleted from the bucket. */
  prunedAt: string | null;
  /** Channels the version is current on. */
  currentOn: string[];
  /** Channels the version was published to, newest publication first. */
  publishedTo: { channel: string; publishedAt: string }[];
  summary: VersionSummary;
}

/** One change of a channel's current version. */
export interface ChannelChange {
  version: string;
  previous: string | null;
  changedAt: string;
  cause: "publish" | "rollback";
  reason: string;
}

export interface ChannelRecord {
  channel: string;
  version: string;
  changedAt: string;
  cause: "publish" | "rollback";
  reason: string;
}

export interface ChannelDetail extends ChannelRecord {
  /** Changes, newest first. */
  history: ChannelChange[];
}

/** What the Worker recorded for a `POST /webhooks/publish` delivery. */
export interface PublishInput {
  webhookId: string;
  /** SHA-256 of the raw body, to tell a replay from a reused id. */
  bodySha256: string;
  notification: PublishNotification;
  summary: VersionSummary;
}

/** The HTTP response of a delivery, stored so a replay gets the same one. */
export type StoredResponse =
  | { status: 200; body: PublishOutcome }
  | { status: 409; body: { error: { code: string; message: string } } };

/** What `Registry.publish` returns: a stored response, or a 503 that is not stored. */
export type PublishResponse =
  | StoredResponse
  | { status: 503; body: { error: { code: string; message: string } } };

export interface PublishOutcome {
  version: string;
  channel: string;
  current: boolean;
  reason: string;
}

export type DeliveryLookup =
  | { kind: "new" }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "conflict" };

export type ResolveResult =
  | {
      ok: true;
      version: string;
      channel: string | null;
      manifestKey: string;
      manifestSha256: string;
      /**
       * The version's first skill's SKILL.md, relative to the version root,
       * which a mount must show; `null` for a version without skills.
       */
      knownFile: string | null;
    }
  | {
      ok: false;
      reason: "unknown-channel" | "no-current-version" | "unknown-version" | "pruned-version";
      message: string;
    };

export type RollbackResult =
  | { ok: true; channel: ChannelRecord; previous: string | null }
  | {
      ok: false;
      reason: "unknown-version" | "pruned-version" | "incomplete-version";
      message: string;
    };

export interface PruneReport {
  /** Versions whose objects were deleted in this run. */
  pruned: string[];
  /** Recorded versions kept, with the first reason each was kept. */
  kept: Record<string, string>;
  /** Set when the run stopped before deleting anything. */
  skipped?: string;
}
