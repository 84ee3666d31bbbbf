/**
 * Standard Webhooks signing and verification on Web Crypto.
 *
 * A secret is `whsec_` and base64 key bytes. The signature is
 * `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`; one header may
 * carry several space-separated signatures, so a secret can be rotated.
 * Verification computes one HMAC per secret and compares it with every
 * listed signature in constant time, so its work does not grow with the
 * number of signatures a sender lists.
 */

import { fromBase64, toBase64, utf8 } from "./encoding.ts";

export const SECRET_PREFIX = "whsec_";

/** Accepted distance between the signed timestamp and now, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Longest `webhook-id` accepted, in characters. */
export const MAX_WEBHOOK_ID_LENGTH = 256;

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** A secret is malformed; the message names the fix but never the secret. */
export class InvalidSecretError extends Error {
  override readonly name = "InvalidSecretError";
}

/** Decodes a `whsec_` secret into its key bytes. */
export function decodeSecret(secret: string, source = "webhook secret"): Uint8Array<ArrayBuffer> {
  const trimmed = secret.trim();
  if (!trimmed.startsWith(SECRET_PREFIX)) {
    throw new InvalidSecretError(
      `Invalid ${source}: expected "${SECRET_PREFIX}" followed by base64 key bytes (generate one with: node -e "console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))")`,
    );
  }
  const bytes = fromBase64(trimmed.slice(SECRET_PREFIX.length));
  if (bytes === undefined || bytes.byteLength < 16) {
    throw new InvalidSecretError(
      `Invalid ${source}: the part after "${SECRET_PREFIX}" must be base64 of at least 16 bytes`,
    );
  }
  return bytes;
}

/** Splits a space-separated list of secrets, as kept during a rotation. */
export function splitSecrets(value: string): string[] {
  return value.split(/\s+/).filter((part) => part.length > 0);
}

function importKey(key: Uint8Array<ArrayBuffer>, usage: "sign" | "verify") {
  return crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function signedContent(id: string, timestamp: string, body: string): Uint8Array<ArrayBuffer> {
  return utf8(`${id}.${timestamp}.${body}`);
}

/** Returns `v1,<base64>` for one secret. */
export async function sign(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await importKey(decodeSecret(secret), "sign");
  const mac = await crypto.subtle.sign("HMAC", key, signedContent(id, String(timestamp), body));
  return `v1,${toBase64(mac)}`;
}

/**
 * Returns the three Standard Webhooks headers for `body`, signed with every
 * secret in `secrets` (space-separated).
 */
export async function signHeaders(
  secrets: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<WebhookHeaders> {
  const list = splitSecrets(secrets);
  if (list.length === 0) throw new InvalidSecretError("Missing webhook secret");
  const signatures = await Promise.all(list.map((secret) => sign(secret, id, timestamp, body)));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}

/** Compares two byte arrays without stopping at the first difference. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let index = 0; index < a.byteLength; index++) {
    difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  }
  return difference === 0;
}

export type VerifyFailure =
  | "missing-headers"
  | "invalid-id"
  | "invalid-timestamp"
  | "timestamp-too-old"
  | "timestamp-too-new"
  | "invalid-signature-header"
  | "no-matching-signature";

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure; message: string };

export interface VerifyOptions {
  /** Unix seconds; defaults to the current time. */
  now?: number;
  toleranceSeconds?: number;
}

/**
 * Verifies Standard Webhooks headers over the raw body against any of the
 * secrets. Never throws for bad input: every failure is a result with a reason.
 */
export async function verify(
  secrets: readonly Uint8Array<ArrayBuffer>[],
  headers: { id: string | null; timestamp: string | null; signature: string | null },
  body: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    return {
      ok: false,
      reason: "missing-headers",
      message: "Missing webhook-id, webhook-timestamp or webhook-signature header",
    };
  }
  if (id.length > MAX_WEBHOOK_ID_LENGTH || /[^\x21-\x7e]/.test(id)) {
    return {
      ok: false,
      reason: "invalid-id",
      message: `Invalid webhook-id: expected 1 to ${MAX_WEBHOOK_ID_LENGTH} printable ASCII characters`,
    };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return {
      ok: false,
      reason: "invalid-timestamp",
      message: "Invalid webhook-timestamp: expected Unix seconds",
    };
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const signedAt = Number(timestamp);
  if (signedAt < now - tolerance) {
    return {
      ok: false,
      reason: "timestamp-too-old",
      message: `webhook-timestamp ${timestamp} is more than ${tolerance} seconds old; send a new delivery with a fresh timestamp`,
    };
  }
  if (signedAt > now + tolerance) {
    return {
      ok: false,
      reason: "timestamp-too-new",
      message: `webhook-timestamp ${timestamp} is more than ${tolerance} seconds in the future; check the sender's clock`,
    };
  }
  const candidates: Uint8Array<ArrayBuffer>[] = [];
  for (const part of signature.split(" ")) {
    if (part === "") continue;
    const [scheme, value, ...rest] = part.split(",");
    if (scheme !== "v1" || value === undefined || rest.length > 0) continue;
    const bytes = fromBase64(value);
    if (bytes !== undefined && bytes.byteLength === 32) candidates.push(bytes);
  }
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: "invalid-signature-header",
      message: 'Invalid webhook-signature: expected one or more "v1,<base64>" signatures',
    };
  }
  const content = signedContent(id, timestamp, body);
  for (const secret of secrets) {
    const key = await importKey(secret, "sign");
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
    for (const candidate of candidates) {
      if (constantTimeEqual(expected, candidate)) return { ok: true };
    }
  }
  return {
    ok: false,
    reason: "no-matching-signature",
    message:
      "No webhook-signature matches: the body was changed or the secret differs from the Worker's WEBHOOK_SECRET",
  };
}
