/**
 * The S3 client for R2 and other S3-compatible stores, and how its errors
 * are classified. Retries happen in one layer only, in `store.ts`, so the
 * SDK's own retry is off (`maxAttempts: 1`).
 */

import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { S3Client } from "@aws-sdk/client-s3";
import type { Agents } from "./direct-requests.ts";
import type { StoreSettings } from "./types.ts";

/** Time allowed for establishing a connection, in milliseconds. */
const CONNECTION_TIMEOUT_MS = 10_000;

/**
 * Returns keep-alive agents with one socket per request in flight. The
 * SDK's default agents keep at most 50 sockets, which would queue requests
 * of a higher concurrency inside the agent.
 */
export function createAgents(concurrency: number): Agents {
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets: concurrency }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: concurrency }),
  };
}

export function createS3Client(
  settings: StoreSettings,
  timeoutMs: number,
  agents: Agents,
): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: {
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
    },
    maxAttempts: 1,
    // R2 and many S3-compatible servers reject or ignore the CRC checksums
    // the SDK adds by default since 3.729; the manifest carries SHA-256 instead.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // socketTimeout is the connection's idle timeout, so it also ends a hung
    // part of a multipart upload, which gets no abort signal. requestTimeout
    // would only log a warning: @smithy/node-http-handler 4.x throws on it
    // only with throwOnRequestTimeout, and then for the whole request.
    requestHandler: {
      socketTimeout: timeoutMs,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      httpAgent: agents.http,
      httpsAgent: agents.https,
    },
  });
}

/**
 * Encodes a key for `x-amz-copy-source`: every segment percent-encoded as
 * by `encodeURIComponent`, so `+`, `&`, `%`, `?`, `#`, spaces and non-ASCII
 * letters reach the server as themselves. The SDK sends CopySource as given.
 */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shapeOf(error: unknown): ErrorShape {
  return typeof error === "object" && error !== null ? (error as ErrorShape) : {};
}

/** Returns the HTTP status of a failed SDK request, or `undefined` when no response came. */
export function statusOf(error: unknown): number | undefined {
  const status = shapeOf(error).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * Checks whether the error means the key does not exist. A missing bucket is
 * also a 404 but is not a missing key, so it stays an error.
 * NOTE: a HEAD response has no body that names the error, so `head()` on a
 * missing bucket still returns `undefined`.
 */
export function isNotFound(error: unknown): boolean {
  const { name } = shapeOf(error);
  if (name === "NoSuchBucket") return false;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(error) === 404;
}

const RETRYABLE_NAMES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequests",
  "TooManyRequestsException",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
  // Abort signals are the per-request timeout and the store's destroy(),
  // and the store stops retrying once destroy() ran.
  "TimeoutError",
  "AbortError",
]);

const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Checks for throttling (429, 503 SlowDown), other 5xx, timeouts and connection errors. */
export function isRetryable(error: unknown): boolean {
  const shape = shapeOf(error);
  const status = statusOf(error);
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  if (typeof shape.name === "string" && RETRYABLE_NAMES.has(shape.name)) return true;
  if (typeof shape.code === "string" && RETRYABLE_CODES.has(shape.code)) return true;
  return shape.$retryable !== undefined && shape.$retryable !== null && shape.$retryable !== false;
}

/** Describes a failed request without echoing headers or credentials. */
export function describeError(error: unknown): string {
  const shape = shapeOf(error);
  const status = statusOf(error);
  const name = typeof shape.name === "string" ? shape.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return status === undefined ? `${name}: ${message}` : `${name} (HTTP ${status}): ${message}`;
}

const CREDENTIAL_ERRORS = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
]);

/** Suggests what to check after a request failed for good. */
export function remedyFor(error: unknown): string {
  const { name } = shapeOf(error);
  const status = statusOf(error);
  if (name === "NoSuchBucket") return "check the bucket name and that it exists at this endpoint";
  if (
    (typeof name === "string" && CREDENTIAL_ERRORS.has(name)) ||
    status === 401 ||
    status === 403
  ) {
    return "check the access key, the secret key and that the token may read and write this bucket";
  }
  if (isRetryable(error)) {
    return status === undefined
      ? "check the endpoint URL and the network, then re-run"
      : "the service is throttling or unavailable; re-run later";
  }
  return "check the endpoint, bucket name and credentials";
}
