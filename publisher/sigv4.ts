/**
 * AWS Signature Version 4 for S3 requests, as R2 and other S3-compatible
 * stores check it: the canonical request, the string to sign and the
 * signing key derived from the secret key, the date, the region and `s3`.
 * The caller passes the payload's SHA-256, so a body is never hashed twice.
 */

import { createHash, createHmac } from "node:crypto";

const ALGORITHM = "AWS4-HMAC-SHA256";
const SERVICE = "s3";

/** SHA-256 of an empty payload, as a bodyless request signs it. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface SigningKeys {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface RequestToSign {
  method: string;
  /** The request path as sent, already percent-encoded (see `encodeKeyPath`). */
  path: string;
  /** Headers to sign, with lowercase names; `host` included. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body. */
  payloadSha256: string;
  now: Date;
}

/**
 * Percent-encodes each segment of a key as SigV4 requires for S3: every
 * byte but `A-Z a-z 0-9 - _ . ~` becomes `%XX`, and `/` stays.
 */
export function encodeKeyPath(key: string): string {
  return key
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join("/");
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** `20260102T030405Z` for a date. */
function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/**
 * Returns a function that adds `x-amz-date`, `x-amz-content-sha256` and
 * `authorization` to a request's headers. The signing key is derived once
 * per day.
 */
export function createSigner(
  keys: SigningKeys,
): (request: RequestToSign) => Record<string, string> {
  let cached: { day: string; key: Buffer } | undefined;
  const signingKey = (day: string): Buffer => {
    if (cached?.day === day) return cached.key;
    let key = createHmac("sha256", `AWS4${keys.secretAccessKey}`).update(day).digest();
    for (const part of [keys.region, SERVICE, "aws4_request"]) {
      key = createHmac("sha256", key).update(part).digest();
    }
    cached = { day, key };
    return key;
  };

  return (request) => {
    const date = amzDate(request.now);
    const day = date.slice(0, 8);
    const headers: Record<string, string> = {
      ...request.headers,
      "x-amz-content-sha256": request.payloadSha256,
      "x-amz-date": date,
    };
    const names = Object.keys(headers).sort();
    // Values are trimmed and inner runs of spaces collapsed, as the server
    // does before it compares.
    const canonicalHeaders = names
      .map((name) => `${name}:${(headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
      .join("");
    const signedHeaders = names.join(";");
    const canonicalRequest = [
      request.method,
      request.path,
      "",
      canonicalHeaders,
      signedHeaders,
      request.payloadSha256,
    ].join("\n");
    const scope = `${day}/${keys.region}/${SERVICE}/aws4_request`;
    const stringToSign = [ALGORITHM, date, scope, sha256Hex(canonicalRequest)].join("\n");
    const signature = createHmac("sha256", signingKey(day)).update(stringToSign).digest("hex");
    headers.authorization = `${ALGORITHM} Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}
