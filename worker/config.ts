/**
 * The Worker's configuration: variables with defaults, checked once per
 * environment, and secrets that only the routes needing them require. A
 * missing secret fails those routes with a 500 that names the secret and the
 * `wrangler secret put` command; it never opens a route and never crashes the
 * others.
 */

import { assertChannel } from "../core/ids.ts";
import { normalizePrefix } from "../core/keys.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";

export const MOUNT_MODES = ["r2-binding", "s3", "local-sync", "copy", "local"] as const;
export type MountMode = (typeof MOUNT_MODES)[number];

export const DEFAULT_MOUNT_PATH = "/workspace/.claude/skills";
export const DEFAULT_MODEL = "claude-sonnet-4-5";

export const SECRET_NAMES = [
  "WEBHOOK_SECRET",
  "ADMIN_TOKEN",
  "SESSION_TOKEN",
  "ANTHROPIC_API_KEY",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
  "LOCAL_HOST_TOKEN",
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** Where the Worker reaches the bucket through the S3 API instead of the binding. */
export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
}

export interface WorkerConfig {
  /** `SKILLS_PREFIX`, normalized to `""` or `a/b/`. */
  rootPrefix: string;
  /** `MOUNT_PATH`: absolute path of the skills folder inside the sandbox. */
  mountPath: string;
  mountMode: MountMode;
  defaultChannel: string;
  agentPort: number;
  agentCommand: string | undefined;
  model: string;
  /** Versions kept per channel, counting back from the newest published. */
  retainVersions: number;
  /** Versions used by a session within this many hours are kept. */
  retainHours: number;
  /** Set when `S3_ENDPOINT` is set. */
  s3: S3Settings | undefined;
  /** `LOCAL_HOST_URL`, the local sandbox host for `MOUNT_MODE=local`. */
  localHostUrl: string | undefined;
  /** Secrets by name; an empty value counts as missing. */
  secrets: Readonly<Partial<Record<SecretName, string>>>;
}

function invalid(name: string, value: string, expected: string): HttpError {
  return new HttpError(
    500,
    "invalid_config",
    `Invalid ${name} ${JSON.stringify(value)}: expected ${expected}; fix it in wrangler.toml [vars]`,
  );
}

function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

function integer(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = text(value);
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!/^\d+$/.test(raw) || parsed < min || parsed > max) {
    throw invalid(name, raw, `an integer from ${min} to ${max}`);
  }
  return parsed;
}

function httpUrl(name: string, value: string | undefined): string | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(name, raw, "an http or https URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(name, raw, "an http or https URL");
  }
  return raw.replace(/\/+$/, "");
}

function mountMode(value: string | undefined): MountMode {
  const raw = text(value) ?? "r2-binding";
  const mode = MOUNT_MODES.find((candidate) => candidate === raw);
  if (mode === undefined) throw invalid("MOUNT_MODE", raw, `one of ${MOUNT_MODES.join(", ")}`);
  return mode;
}

function mountPath(value: string | undefined): string {
  const raw = text(value) ?? DEFAULT_MOUNT_PATH;
  const segments = raw.split("/").slice(1);
  if (
    !raw.startsWith("/") ||
    segments.some((segment) => segment === "" || segment === "." || segment === "..")
  ) {
    throw invalid("MOUNT_PATH", raw, 'an absolute path such as "/workspace/.claude/skills"');
  }
  return raw;
}

/**
 * Reads the configuration from the environment. Throws an `HttpError` 500
 * naming the variable when a variable is invalid; secrets are only collected.
 */
export function loadConfig(env: Env): WorkerConfig {
  let rootPrefix: string;
  try {
    rootPrefix = normalizePrefix(env.SKILLS_PREFIX);
  } catch (error) {
    throw new HttpError(500, "invalid_config", `Invalid SKILLS_PREFIX: ${String(error)}`, {
      cause: error,
    });
  }
  const defaultChannel = text(env.DEFAULT_CHANNEL) ?? "production";
  try {
    assertChannel(defaultChannel, "DEFAULT_CHANNEL");
  } catch (error) {
    throw new HttpError(
      500,
      "invalid_config",
      error instanceof Error ? error.message : String(error),
      { cause: error },
    );
  }
  const mode = mountMode(env.MOUNT_MODE);
  const endpoint = httpUrl("S3_ENDPOINT", env.S3_ENDPOINT);
  let s3: S3Settings | undefined;
  if (endpoint !== undefined) {
    const bucket = text(env.S3_BUCKET);
    if (bucket === undefined)
      throw invalid("S3_BUCKET", "", "the bucket name when S3_ENDPOINT is set");
    s3 = { endpoint, bucket, region: text(env.S3_REGION) ?? "auto" };
  } else if (mode === "s3") {
    throw invalid("S3_ENDPOINT", "", 'the S3 API endpoint when MOUNT_MODE is "s3"');
  }
  const localHostUrl = httpUrl("LOCAL_HOST_URL", env.LOCAL_HOST_URL);
  if (mode === "local" && localHostUrl === undefined) {
    throw invalid("LOCAL_HOST_URL", "", 'the local sandbox host URL when MOUNT_MODE is "local"');
  }
  const secrets: Partial<Record<SecretName, string>> = {};
  for (const name of SECRET_NAMES) {
    const value = text(env[name]);
    if (value !== undefined) secrets[name] = value;
  }
  return {
    rootPrefix,
    mountPath: mountPath(env.MOUNT_PATH),
    mountMode: mode,
    defaultChannel,
    agentPort: integer("AGENT_PORT", env.AGENT_PORT, 3001, 1, 65535),
    agentCommand: text(env.AGENT_COMMAND),
    model: text(env.MODEL) ?? DEFAULT_MODEL,
    retainVersions: integer("RETAIN_VERSIONS", env.RETAIN_VERSIONS, 10, 1, 10_000),
    retainHours: integer("RETAIN_HOURS", env.RETAIN_HOURS, 24, 0, 24 * 365),
    s3,
    localHostUrl,
    secrets,
  };
}

/** Returns a secret, or throws a 500 that names it and the command that sets it. */
export function requireSecret(config: WorkerConfig, name: SecretName): string {
  const value = config.secrets[name];
  if (value === undefined) {
    throw new HttpError(
      500,
      "missing_secret",
      `The Worker has no ${name} secret; set it with: npx wrangler secret put ${name}`,
    );
  }
  return value;
}
