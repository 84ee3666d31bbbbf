/**
 * The publisher's settings and results, shared by the Action and the CLI.
 * One module per adapter (`action/settings.ts`, `cli/settings.ts`) reads and
 * validates inputs into `PublishSettings`; nothing below them reads the
 * environment.
 */

import type { RunInfo } from "../core/head.ts";
import type { SkillChange } from "../core/plan.ts";
import type { Problem, ValidationLevel } from "../core/validation.ts";

/** Where the bucket is and how to reach it. */
export interface StoreSettings {
  bucket: string;
  /** Full S3 endpoint URL (`https://<account>.r2.cloudflarestorage.com` for R2). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Root prefix, normalized to `""` or `a/b/`. */
  prefix: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Path-style addressing (`endpoint/bucket/key`), needed by most local servers. */
  forcePathStyle: boolean;
  /**
   * Timeout of one request in milliseconds: the whole request for single
   * requests, and the longest idle time of the connection for each part of
   * a multipart upload. 60 000 when unset.
   */
  requestTimeoutMs?: number;
}

/** What is being published and from where. */
export interface SourceSettings {
  /** Absolute path of the git work tree. */
  repositoryRoot: string;
  /** Skills folder relative to `repositoryRoot`, `/`-separated, no leading or trailing `/`. */
  skillsPath: string;
  /**
   * `commit`: publish the files of `HEAD` as git tracks them (the Action).
   * `working-tree`: also uncommitted changes and untracked files git does not
   * ignore; the version id is `local-…` when the tree differs from `HEAD`.
   */
  mode: "commit" | "working-tree";
  /** `owner/name`, or `null`. */
  repository: string | null;
  /** The pushed ref, or `null`. */
  ref: string | null;
  run: RunInfo | null;
}

export interface NotifySettings {
  url: string;
  /** One or more space-separated `whsec_` secrets. */
  secret: string;
  /** Attempts before giving up, the first included. */
  attempts: number;
  /** Timeout of one attempt, in milliseconds. */
  timeoutMs: number;
}

export interface PublishSettings {
  source: SourceSettings;
  /** `undefined` in a dry run without credentials: plan against no base. */
  store: StoreSettings | undefined;
  channel: string;
  validation: ValidationLevel;
  /** Validate and plan, write nothing, send nothing. */
  dryRun: boolean;
  /** `undefined` when no webhook URL is configured: publish without notifying. */
  notify: NotifySettings | undefined;
}

export type PublishOutcome =
  /** Files were uploaded or copied and the manifest written. */
  | "published"
  /** The version already existed with the same files; only the head and notification. */
  | "republished"
  /** Dry run: nothing written. */
  | "planned"
  /** Validation failed: nothing written. */
  | "invalid";

export interface PublishResult {
  outcome: PublishOutcome;
  version: string;
  channel: string;
  manifestKey: string;
  manifestSha256: string | undefined;
  base: string | null;
  uploaded: number;
  copied: number;
  removed: number;
  /** Bytes sent from the runner (uploads, manifest and head). */
  bytesUploaded: number;
  skills: string[];
  changedSkills: string[];
  skillChanges: SkillChange[];
  problems: Problem[];
  notified: boolean;
  /** Why no notification went out, when `notified` is false. */
  notifySkipped?: string;
  /** The Worker's decision on the notification, when its reply states one. */
  decision?: WorkerDecision;
}

/**
 * Whether the Worker made the version current on its channel, and why. It
 * keeps the channel where it is for a version older than the current one
 * or, after a rollback, for a version it has recorded before.
 */
export interface WorkerDecision {
  current: boolean;
  reason: string;
}
