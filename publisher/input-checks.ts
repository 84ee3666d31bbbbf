/**
 * Checks of single publish settings as a user types them, shared by the
 * Action's inputs and the CLI's flags. Each check returns the reason a value
 * is invalid, or `undefined` when it is valid, so each adapter can name its
 * own input or flag in the message.
 */

import { checkRelativePath } from "../core/paths.ts";
import { decodeSecret, InvalidSecretError, splitSecrets } from "../core/signing.ts";

/** A Cloudflare account id: 32 lowercase hex digits. */
export const ACCOUNT_ID_PATTERN = /^[0-9a-f]{32}$/;

/** R2 jurisdictions with their own endpoint host; `""` is the default one. */
export const JURISDICTIONS = ["", "default", "eu", "fedramp"] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

/** S3 bucket names: 3 to 63 lowercase letters, digits, dots and hyphens. */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const REGION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const MIN_CONCURRENCY = 1;
export const MAX_CONCURRENCY = 256;
/**
 * Requests in flight at once. In a full publish of 1,000 files on a 2-core
 * machine against s3rver (`npm run bench`), 16 in flight reached 81 % of
 * the ceiling loop's speed, and 32 or 64 reached 84 to 90 %. Against a
 * remote bucket each small request waits a round trip, so more requests in
 * flight help more there.
 */
export const DEFAULT_CONCURRENCY = 64;

export function checkBucket(value: string): string | undefined {
  if (BUCKET_PATTERN.test(value) && !value.includes("..")) return undefined;
  return "expected 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit";
}

export function checkAccountId(value: string): string | undefined {
  return ACCOUNT_ID_PATTERN.test(value)
    ? undefined
    : "expected the 32 lowercase hex digits of a Cloudflare account id (Dashboard > R2 > Account details)";
}

export function isJurisdiction(value: string): value is Jurisdiction {
  return (JURISDICTIONS as readonly string[]).includes(value);
}

export function checkRegion(value: string): string | undefined {
  return REGION_PATTERN.test(value)
    ? undefined
    : 'expected a region name such as "auto" (R2) or "us-east-1"';
}

/** Checks an http or https URL without credentials, query or fragment. */
export function checkHttpUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "expected an absolute http:// or https:// URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `expected an http:// or https:// URL, got the scheme "${url.protocol}"`;
  }
  if (url.username !== "" || url.password !== "") {
    return "the URL must not contain a user name or password; pass credentials separately";
  }
  if (url.search !== "" || url.hash !== "") {
    return "the URL must not contain a query or fragment";
  }
  return undefined;
}

/** Checks an access key id or secret key: non-empty, without whitespace. */
export function checkCredential(value: string): string | undefined {
  return /^\S+$/.test(value) ? undefined : "expected a non-empty value without spaces";
}

/**
 * Checks a webhook secret: one or more space-separated `whsec_` secrets. The
 * reason never contains the secret.
 */
export function checkWebhookSecret(value: string): string | undefined {
  const secrets = splitSecrets(value);
  if (secrets.length === 0) return 'expected "whsec_" followed by base64 key bytes';
  for (const [index, secret] of secrets.entries()) {
    try {
      decodeSecret(secret, secrets.length > 1 ? `secret number ${index + 1}` : "secret");
    } catch (error: unknown) {
      if (error instanceof InvalidSecretError) return error.message;
      throw error;
    }
  }
  return undefined;
}

/** Parses a concurrency value, or returns the reason it is invalid. */
export function parseConcurrency(value: string): { value: number } | { reason: string } {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < MIN_CONCURRENCY || number > MAX_CONCURRENCY) {
    return {
      reason: `expected a whole number of requests from ${MIN_CONCURRENCY} to ${MAX_CONCURRENCY}`,
    };
  }
  return { value: number };
}

/** Parses a YAML 1.2 boolean (`true`, `True`, `TRUE`, `false`, ...). */
export function parseBoolean(value: string): { value: boolean } | { reason: string } {
  if (["true", "True", "TRUE"].includes(value)) return { value: true };
  if (["false", "False", "FALSE"].includes(value)) return { value: false };
  return { reason: 'expected "true" or "false"' };
}

/**
 * Parses a skills folder relative to the repository root: `./` and
 * trailing slashes are dropped, `.` becomes `""` (skills at the root), and
 * an absolute or unsafe path returns the reason.
 */
export function parseSkillsPath(value: string): { value: string } | { reason: string } {
  if (value.startsWith("/")) {
    return { reason: 'expected a path relative to the repository root, such as "skills"' };
  }
  const trimmed = value.replace(/^(?:\.\/)+/, "").replace(/\/+$/, "");
  if (trimmed === "" || trimmed === ".") return { value: "" };
  const reason = checkRelativePath(trimmed);
  if (reason !== undefined) {
    return { reason: `${reason}; expected a folder inside the repository, such as "skills"` };
  }
  return { value: trimmed };
}

/** Returns the R2 S3 endpoint of an account in a jurisdiction. */
export function r2Endpoint(accountId: string, jurisdiction: Jurisdiction): string {
  const zone = jurisdiction === "" || jurisdiction === "default" ? "" : `${jurisdiction}.`;
  return `https://${accountId}.${zone}r2.cloudflarestorage.com`;
}

/**
 * Checks whether requests put the bucket in the path (`endpoint/bucket/key`):
 * true for every host outside `amazonaws.com`. R2, s3rver and most
 * S3-compatible stores accept path-style requests, and local servers and
 * most self-hosted stores accept nothing else.
 */
export function usesPathStyle(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return !(host === "amazonaws.com" || host.endsWith(".amazonaws.com"));
}
