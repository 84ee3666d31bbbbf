/**
 * Identifiers that cross a trust boundary: version ids, channel names and
 * session ids. Each has one pattern, used by the publisher, the Worker and
 * the local stack alike.
 */

/** A commit sha (SHA-1 or SHA-256), or `local-` and 16 to 64 hex digits. */
export const VERSION_ID_PATTERN = /^(?:[0-9a-f]{40}|[0-9a-f]{64}|local-[0-9a-f]{16,64})$/;

/** Lowercase letters, digits and hyphens, 1 to 63 characters, no leading hyphen. */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Letters, digits, `_` and `-`, 1 to 64 characters, starting with a letter or digit. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * A skill name of the Agent Skills specification: lowercase letters, digits
 * and single hyphens, not at either end. It is also the skill's folder name.
 */
export const SKILL_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A lowercase hex SHA-256 digest. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** The `before` sha GitHub sends for a branch's first push. */
export const ZERO_SHA_PATTERN = /^0+$/;

export function isVersionId(value: unknown): value is string {
  return typeof value === "string" && VERSION_ID_PATTERN.test(value);
}

export function isChannel(value: unknown): value is string {
  return typeof value === "string" && CHANNEL_PATTERN.test(value);
}

export function isSessionId(value: unknown): value is string {
  return typeof value === "string" && SESSION_ID_PATTERN.test(value);
}

export function isSha256(value: unknown): value is string {
  return typeof value === "string" && SHA256_PATTERN.test(value);
}

/** Whether `id` names a version published from a working tree with uncommitted changes. */
export function isLocalVersionId(id: string): boolean {
  return id.startsWith("local-");
}

/**
 * Returns the version id of a working tree with uncommitted changes: `local-`
 * and the first 24 hex digits of the tree's content digest.
 */
export function localVersionId(contentSha256: string): string {
  if (!isSha256(contentSha256)) {
    throw new TypeError(
      `Expected a lowercase hex SHA-256 digest, got ${JSON.stringify(contentSha256)}`,
    );
  }
  return `local-${contentSha256.slice(0, 24)}`;
}

/** Describes a value for an error message without echoing unbounded input. */
export function quote(value: unknown, maxLength = 80): string {
  const text = typeof value === "string" ? value : String(JSON.stringify(value));
  const shown = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return JSON.stringify(shown);
}

/** Checks a version id and throws an error that names the value and the expected form. */
export function assertVersionId(value: unknown, source = "version"): string {
  if (!isVersionId(value)) {
    throw new InvalidIdError(
      `Invalid ${source} ${quote(value)}: expected a 40 or 64 character lowercase hex commit sha, or "local-" and 16 to 64 hex digits`,
    );
  }
  return value;
}

/** Checks a channel name and throws an error that names the value and the expected form. */
export function assertChannel(value: unknown, source = "channel"): string {
  if (!isChannel(value)) {
    throw new InvalidIdError(
      `Invalid ${source} ${quote(value)}: expected 1 to 63 lowercase letters, digits or hyphens, starting with a letter or digit (for example "production")`,
    );
  }
  return value;
}

/** Checks a session id and throws an error that names the value and the expected form. */
export function assertSessionId(value: unknown, source = "sessionId"): string {
  if (!isSessionId(value)) {
    throw new InvalidIdError(
      `Invalid ${source} ${quote(value)}: expected 1 to 64 letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
  return value;
}

/** An identifier from outside failed its pattern. */
export class InvalidIdError extends Error {
  override readonly name = "InvalidIdError";
}
