/**
 * One round of the local stack: publish the skills folder the way the
 * Action does, then open a session through the Worker and find where the
 * sandbox host mounted its version.
 */

import { formatCount } from "../core/format.ts";
import type { Logger } from "../core/logger.ts";
import type { Problem } from "../core/validation.ts";
import { publish } from "../publisher/publish.ts";
import type { PublishResult, PublishSettings } from "../publisher/types.ts";
import type { LocalFile } from "./config.ts";
import type { MountMode } from "./mount.ts";
import type { SandboxHost } from "./sandbox-host.ts";

/** A session the Worker opened, and where its version is on this machine. */
export interface OpenedSession {
  sessionId: string;
  version: string;
  channel: string | null;
  /** Mount mode of the sandbox host. */
  mode: MountMode;
  /** Absolute path of the session's mounted skills folder on this machine. */
  mountPath: string;
}

/** The fields of the Worker's `POST /sessions` reply that the stack reads. */
interface SessionReply {
  sessionId?: unknown;
  version?: unknown;
  channel?: unknown;
  error?: { code?: unknown; message?: unknown };
}

export interface LocalPublishInput {
  repositoryRoot: string;
  skillsPath: string;
  channel: string;
  local: LocalFile;
}

/**
 * Returns publisher settings for the local stack: the working tree
 * (uncommitted changes included), the local bucket, the local Worker's
 * webhook and the Action's default validation (`claude-code`), so that
 * `npm start` accepts the same skills as the Action.
 */
export function localPublishSettings(input: LocalPublishInput): PublishSettings {
  const { local } = input;
  return {
    source: {
      repositoryRoot: input.repositoryRoot,
      skillsPath: input.skillsPath,
      mode: "working-tree",
      repository: null,
      ref: null,
      run: { id: "local", attempt: 1, url: null },
    },
    store: {
      bucket: local.s3.bucket,
      endpoint: local.s3.endpoint,
      region: local.s3.region,
      accessKeyId: local.s3.accessKeyId,
      secretAccessKey: local.s3.secretAccessKey,
      prefix: local.s3.prefix,
      concurrency: 8,
      forcePathStyle: true,
    },
    channel: input.channel,
    validation: "claude-code",
    dryRun: false,
    notify: {
      url: `${local.workerUrl}/webhooks/publish`,
      secret: local.webhookSecret,
      attempts: 3,
      timeoutMs: 10_000,
    },
  };
}

/**
 * Validation found errors in the skills folder, so nothing was published.
 * The publisher has logged each problem; `problems` contains them.
 */
export class InvalidSkillsError extends Error {
  override readonly name = "InvalidSkillsError";
  readonly problems: Problem[];

  constructor(problems: Problem[]) {
    const errors = problems.filter((problem) => problem.severity === "error");
    super(
      `Validation found ${formatCount(errors.length, "error")} in the skills folder, so nothing was published`,
    );
    this.problems = problems;
  }
}

/** Publishes and throws when a skill is invalid or the Worker was not notified. */
export async function publishOrThrow(
  settings: PublishSettings,
  logger: Logger,
): Promise<PublishResult> {
  const result = await publish(settings, logger);
  if (result.outcome === "invalid") throw new InvalidSkillsError(result.problems);
  if (!result.notified) {
    throw new Error(`the Worker was not notified (${result.notifySkipped ?? "unknown reason"})`);
  }
  return result;
}

/** Time allowed for one request to the local Worker's management API, in milliseconds. */
const ROLLBACK_TIMEOUT_MS = 10_000;

/** The reason recorded when the local stack makes an earlier version current again. */
export const RESTORE_REASON = "The local skills folder matches this version again";

/**
 * Points `channel` at `version` through the Worker's rollback route. A
 * notification moves a channel only to a newer commit, and a tree published
 * before (an edit undone, a skill removed again) keeps its older version id.
 * The local stack serves what the skills folder contains, so it makes that
 * version current again.
 */
export async function makeCurrent(
  workerUrl: string,
  adminToken: string,
  channel: string,
  version: string,
): Promise<void> {
  const response = await fetch(`${workerUrl}/channels/${encodeURIComponent(channel)}/rollback`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ version, reason: RESTORE_REASON }),
    signal: AbortSignal.timeout(ROLLBACK_TIMEOUT_MS),
  });
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  const reply = await readReply(response);
  const message =
    typeof reply.error?.message === "string" ? reply.error.message : JSON.stringify(reply);
  throw new Error(
    `Making version ${version} current on channel ${channel} failed: POST /channels/${channel}/rollback returned ${response.status}: ${message}`,
  );
}

async function readReply(response: Response): Promise<SessionReply> {
  const text = await response.text();
  try {
    return JSON.parse(text) as SessionReply;
  } catch {
    return { error: { message: `a body that is not JSON: ${text.slice(0, 200)}` } };
  }
}

/** Opens a new session on `channel` through the Worker's `POST /sessions`. */
export async function openSessionThrough(
  workerUrl: string,
  sessionToken: string,
  channel: string,
  host: SandboxHost,
): Promise<OpenedSession> {
  const response = await fetch(`${workerUrl}/sessions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${sessionToken}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ channel }),
  });
  const reply = await readReply(response);
  if (!response.ok || typeof reply.sessionId !== "string" || typeof reply.version !== "string") {
    const message =
      typeof reply.error?.message === "string" ? reply.error.message : JSON.stringify(reply);
    throw new Error(`POST /sessions returned ${response.status}: ${message}`);
  }
  const status = host.sessions.status(reply.sessionId);
  if (status?.mount == null) {
    throw new Error(
      `the Worker opened session ${reply.sessionId}, but the sandbox host has no mount for it`,
    );
  }
  return {
    sessionId: reply.sessionId,
    version: reply.version,
    channel: typeof reply.channel === "string" ? reply.channel : null,
    mode: status.mount.mode,
    mountPath: status.mount.path,
  };
}
