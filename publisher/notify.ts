/**
 * Sends the publish notification to the Worker, signed per Standard Webhooks.
 * One delivery keeps one `webhook-id` across its retries, so the Worker can
 * drop duplicates; each attempt gets a fresh timestamp and signature.
 */

import { randomBytes } from "node:crypto";
import { sha256Hex } from "../core/encoding.ts";
import type { RunInfo } from "../core/head.ts";
import { parseHead } from "../core/head.ts";
import { headKey, manifestKey, normalizePrefix } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import { parseManifest } from "../core/manifest.ts";
import {
  NOTIFICATION_TYPE,
  notificationSchema,
  type PublishNotification,
} from "../core/notification.ts";
import { decodeSecret, InvalidSecretError, signHeaders, splitSecrets } from "../core/signing.ts";
import { messageOf, PublishError } from "./errors.ts";
import { backoffDelay, delay, type RetryPolicy } from "./retry.ts";
import { S3Store } from "./store.ts";
import type { NotifySettings, StoreSettings, WorkerDecision } from "./types.ts";

export type NotificationData = PublishNotification["data"];

export interface NotifyResponse {
  status: number;
  body: string;
}

/** Maximum wait honoured from a `Retry-After` header, in milliseconds. */
export const MAX_RETRY_AFTER_MS = 30_000;
/** Characters of the Worker's reply quoted in an error. */
const MAX_QUOTED_REPLY = 500;

const NOTIFY_BACKOFF: Omit<RetryPolicy, "attempts"> = { baseDelayMs: 500, maxDelayMs: 10_000 };

/**
 * Checks every space-separated `whsec_` secret; throws `InvalidSecretError`
 * whose message names the fix but never the secret.
 */
export function checkSecrets(secrets: string): void {
  const list = splitSecrets(secrets);
  if (list.length === 0) {
    throw new InvalidSecretError(
      'Missing webhook secret: set it to the Worker\'s WEBHOOK_SECRET, a "whsec_" value',
    );
  }
  for (const secret of list) decodeSecret(secret);
}

/** Returns a fresh `webhook-id`: `msg_` and 32 hex digits. */
export function newWebhookId(): string {
  return `msg_${randomBytes(16).toString("hex")}`;
}

/** Returns the URL without its query and credentials, so it is safe to log. */
function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * Returns the wait that a `Retry-After` header requests (seconds or an HTTP
 * date), capped at `MAX_RETRY_AFTER_MS`, or `undefined` when absent or invalid.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** Pulls the Worker's `message` or `error` out of a JSON reply, else the text itself. */
function replyMessage(body: string): string {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === "object" && json !== null) {
      const record = json as Record<string, unknown>;
      const message = record.message ?? record.error;
      if (typeof message === "string") return message.slice(0, MAX_QUOTED_REPLY);
    }
  } catch {
    // Not JSON: quote the text.
  }
  return body.slice(0, MAX_QUOTED_REPLY) || "(empty reply)";
}

/**
 * POSTs a `skills.published` notification with `data` and returns the
 * Worker's reply. Retries 5xx replies (honouring `Retry-After`), timeouts and
 * network errors; throws `PublishError` at once on any other non-2xx reply,
 * and after the last attempt.
 */
export async function sendNotification(
  settings: NotifySettings,
  data: NotificationData,
  logger: Logger,
): Promise<NotifyResponse> {
  try {
    checkSecrets(settings.secret);
  } catch (error: unknown) {
    if (!(error instanceof InvalidSecretError)) throw error;
    throw new PublishError("invalid-settings", error.message, { cause: error });
  }
  const notification = notificationSchema.parse({
    type: NOTIFICATION_TYPE,
    timestamp: new Date().toISOString(),
    data,
  });
  const body = JSON.stringify(notification);
  const id = newWebhookId();
  const url = loggableUrl(settings.url);
  const attempts = Math.max(1, settings.attempts);
  let lastFailure = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = await signHeaders(settings.secret, id, timestamp, body);
    let waitMs: number | undefined;
    try {
      const response = await fetch(settings.url, {
        method: "POST",
        headers: { ...signed, "content-type": "application/json", "user-agent": "r2-skills" },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      const text = await response.text();
      if (response.ok) {
        logger.info(`Notified ${url}`, { status: response.status, webhookId: id, attempt });
        return { status: response.status, body: text };
      }
      if (response.status < 500) {
        const fix = rejectionFix(response);
        throw new PublishError(
          "notify-rejected",
          `The Worker at ${url} rejected the notification with HTTP ${response.status}: ${replyMessage(text)}${fix}`,
        );
      }
      lastFailure = `HTTP ${response.status}: ${replyMessage(text)}`;
      waitMs = retryAfterMs(response.headers.get("retry-after"));
    } catch (error: unknown) {
      if (error instanceof PublishError) throw error;
      lastFailure = describeFetchError(error, settings.timeoutMs);
    }
    if (attempt === attempts) break;
    const wait = waitMs ?? backoffDelay({ ...NOTIFY_BACKOFF, attempts }, attempt);
    logger.warn(`Notification to ${url} failed, retrying in ${wait} ms`, {
      attempt,
      webhookId: id,
      error: lastFailure,
    });
    await delay(wait);
  }
  throw new PublishError(
    "notify-failed",
    `The notification to ${url} failed after ${attempts} attempts (last: ${lastFailure}); check that the Worker is deployed and reachable, then send it again with "r2-skills notify"`,
  );
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause =
    error instanceof Error && error.cause !== undefined ? `: ${messageOf(error.cause)}` : "";
  return `${messageOf(error)}${cause}`;
}

export interface NotifyVersionInput {
  store: StoreSettings;
  notify: NotifySettings;
  channel: string;
  version: string;
  /** The git ref to report, or `null`. */
  ref?: string | null;
  /** The run to report when the head does not name this version. */
  run?: RunInfo | null;
}

/**
 * Sends the notification of a version that is already in the bucket, rebuilt
 * from the channel's head when the head names this version, else from the
 * version's manifest. Writes nothing to the bucket.
 */
export async function notifyVersion(
  input: NotifyVersionInput,
  logger: Logger,
): Promise<NotifyResponse & { data: NotificationData }> {
  const root = normalizePrefix(input.store.prefix);
  const store = new S3Store(input.store, { logger });
  try {
    const key = manifestKey(root, input.version);
    const manifestText = await store.getText(key);
    if (manifestText === undefined) {
      throw new PublishError(
        "not-found",
        `Version ${input.version} has no manifest at ${JSON.stringify(key)} in bucket ${JSON.stringify(store.bucket)}: it was never published completely; publish it first`,
      );
    }
    const manifest = parseManifest(manifestText, key);
    const manifestSha256 = await sha256Hex(manifestText);
    const headText = await store.getText(headKey(root, input.channel));
    const parsed = headText === undefined ? undefined : parseHead(headText);
    const head = parsed !== undefined && "head" in parsed ? parsed.head : undefined;
    const data: NotificationData =
      head !== undefined && head.version === input.version
        ? {
            version: head.version,
            channel: input.channel,
            manifestKey: key,
            manifestSha256,
            base: head.base,
            repository: manifest.repository,
            ref: input.ref ?? null,
            commit: head.commit,
            run: head.run,
            publishedAt: head.publishedAt,
          }
        : {
            version: input.version,
            channel: input.channel,
            manifestKey: key,
            manifestSha256,
            base: null,
            repository: manifest.repository,
            ref: input.ref ?? null,
            commit: { sha: manifest.commit.sha, timestamp: manifest.commit.timestamp },
            run: input.run ?? null,
            publishedAt: new Date().toISOString(),
          };
    if (head === undefined || head.version !== input.version) {
      logger.warn(
        `The head of channel ${input.channel} names ${head?.version ?? "no version"}, not ${input.version}; the notification is built from the manifest and the head is left unchanged`,
      );
    }
    const response = await sendNotification(input.notify, data, logger);
    return { ...response, data };
  } finally {
    store.destroy();
  }
}

/**
 * Returns the decision in the Worker's reply to a notification (`current`
 * and `reason`), or `undefined` for a reply without them.
 */
export function parseDecision(body: string): WorkerDecision | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const { current, reason } = json as { current?: unknown; reason?: unknown };
  if (typeof current !== "boolean" || typeof reason !== "string") return undefined;
  return { current, reason };
}

/** Returns the hint that follows a rejected notification's message, or "". */
function rejectionFix(response: Response): string {
  if (response.status === 401) {
    return "; check that the webhook secret equals the Worker's WEBHOOK_SECRET";
  }
  if (response.status === 404) {
    return "; check that the webhook URL is the Worker's /webhooks/publish route";
  }
  if (response.status >= 300 && response.status < 400) {
    const location = JSON.stringify(response.headers.get("location"));
    return `; the URL redirects to ${location}, set the final URL instead`;
  }
  return "";
}
