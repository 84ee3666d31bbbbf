/**
 * Turns the publish settings as a user writes them (strings from the
 * Action's inputs or the CLI's flags and environment) into checked
 * `StoreSettings`, `NotifySettings` and `PublishSettings`. Both adapters use
 * it, so the rules are the same everywhere: only the names in the messages
 * differ, and those come from the adapter's `InputNaming`.
 */

import { isChannel } from "../core/ids.ts";
import { normalizePrefix } from "../core/keys.ts";
import { VALIDATION_LEVELS, type ValidationLevel } from "../core/validation.ts";
import {
  checkAccountId,
  checkBucket,
  checkCredential,
  checkHttpUrl,
  checkRegion,
  checkWebhookSecret,
  DEFAULT_CONCURRENCY,
  isJurisdiction,
  JURISDICTIONS,
  parseConcurrency,
  parseSkillsPath,
  r2Endpoint,
  usesPathStyle,
} from "./input-checks.ts";
import type { NotifySettings, PublishSettings, SourceSettings, StoreSettings } from "./types.ts";

/** Raw values; `""` means not set. */
export interface PublishInputs {
  skillsPath: string;
  bucket: string;
  accountId: string;
  jurisdiction: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  prefix: string;
  channel: string;
  webhookUrl: string;
  webhookSecret: string;
  validation: string;
  concurrency: string;
}

export type InputName = keyof PublishInputs;

/** Inputs whose values are secrets: never shown in a message. */
export const SECRET_INPUTS: readonly InputName[] = [
  "accessKeyId",
  "secretAccessKey",
  "webhookSecret",
];

export const DEFAULTS = {
  skillsPath: "skills",
  region: "auto",
  channel: "production",
  validation: "claude-code",
  concurrency: String(DEFAULT_CONCURRENCY),
} as const satisfies Partial<PublishInputs>;

/** Delivery attempts of one notification, the first included. */
export const NOTIFY_ATTEMPTS = 5;
/** Timeout of one delivery attempt, in milliseconds. */
export const NOTIFY_TIMEOUT_MS = 10_000;

/** The names an adapter gives its inputs in messages. */
export interface InputNaming {
  /** Such as `input "bucket"` or `--bucket`. */
  label(name: InputName): string;
  /** How to set it, such as `set "bucket" under "with:"` or `pass --bucket or set R2_SKILLS_BUCKET`. */
  howToSet(name: InputName): string;
}

/** A setting is missing or invalid. The message names it and the fix, never a secret. */
export class InputError extends Error {
  override readonly name = "InputError";
  /** The setting's name in `PublishInputs`, or another setting of the adapter such as `dryRun`. */
  readonly input: string;

  constructor(input: string, message: string) {
    super(message);
    this.input = input;
  }
}

function invalid(
  inputs: PublishInputs,
  naming: InputNaming,
  name: InputName,
  reason: string,
): InputError {
  const shownValue = SECRET_INPUTS.includes(name) ? "" : ` ${JSON.stringify(inputs[name])}`;
  return new InputError(
    name,
    `Invalid ${naming.label(name)}${shownValue}: ${reason}; ${naming.howToSet(name)}`,
  );
}

function missing(naming: InputNaming, name: InputName, reason: string): InputError {
  return new InputError(name, `Missing ${naming.label(name)}: ${reason}; ${naming.howToSet(name)}`);
}

export interface StoreOptions {
  /** Throw when the store is not configured; otherwise return `undefined`. */
  required: boolean;
}

/**
 * Reads the store settings. When `required` is false and no credentials are
 * set, returns `undefined` (a dry run without a bucket); values that are set
 * are checked either way.
 */
export function readStoreSettings(
  inputs: PublishInputs,
  naming: InputNaming,
  options: StoreOptions,
): StoreSettings | undefined {
  const fail = (name: InputName, reason: string): InputError =>
    invalid(inputs, naming, name, reason);

  if (inputs.bucket !== "") {
    const reason = checkBucket(inputs.bucket);
    if (reason !== undefined) throw fail("bucket", reason);
  }
  if (!isJurisdiction(inputs.jurisdiction)) {
    throw fail(
      "jurisdiction",
      `expected one of ${JURISDICTIONS.filter((value) => value !== "")
        .map((value) => `"${value}"`)
        .join(", ")}, or nothing`,
    );
  }
  let endpoint = "";
  if (inputs.endpoint !== "") {
    const reason = checkHttpUrl(inputs.endpoint);
    if (reason !== undefined) throw fail("endpoint", reason);
    endpoint = inputs.endpoint.replace(/\/+$/, "");
  } else if (inputs.accountId !== "") {
    const reason = checkAccountId(inputs.accountId);
    if (reason !== undefined) throw fail("accountId", reason);
    endpoint = r2Endpoint(inputs.accountId, inputs.jurisdiction);
  }
  for (const name of ["accessKeyId", "secretAccessKey"] as const) {
    if (inputs[name] === "") continue;
    const reason = checkCredential(inputs[name]);
    if (reason !== undefined) throw fail(name, reason);
  }
  const region = inputs.region === "" ? DEFAULTS.region : inputs.region;
  const regionReason = checkRegion(region);
  if (regionReason !== undefined) throw fail("region", regionReason);

  let prefix: string;
  try {
    prefix = normalizePrefix(inputs.prefix);
  } catch (error: unknown) {
    throw fail("prefix", error instanceof Error ? error.message : String(error));
  }
  const concurrency = parseConcurrency(
    inputs.concurrency === "" ? DEFAULTS.concurrency : inputs.concurrency,
  );
  if ("reason" in concurrency) throw fail("concurrency", concurrency.reason);

  const credentialsSet = inputs.accessKeyId !== "" || inputs.secretAccessKey !== "";
  if (!options.required && !credentialsSet) return undefined;

  if (inputs.bucket === "") throw missing(naming, "bucket", "the bucket to publish to is required");
  if (endpoint === "") {
    throw missing(
      naming,
      "accountId",
      `set the Cloudflare account id for R2, or ${naming.label("endpoint")} for another S3-compatible store`,
    );
  }
  if (inputs.accessKeyId === "") {
    throw missing(naming, "accessKeyId", "the store's access key id is required");
  }
  if (inputs.secretAccessKey === "") {
    throw missing(naming, "secretAccessKey", "the store's secret access key is required");
  }
  return {
    bucket: inputs.bucket,
    endpoint,
    region,
    accessKeyId: inputs.accessKeyId,
    secretAccessKey: inputs.secretAccessKey,
    prefix,
    concurrency: concurrency.value,
    forcePathStyle: usesPathStyle(endpoint),
  };
}

/**
 * Reads the webhook settings: `undefined` when neither the URL nor the
 * secret is set. Setting only one of them is an error, so a typo in a secret
 * name cannot silently turn notifications off.
 */
export function readNotifySettings(
  inputs: PublishInputs,
  naming: InputNaming,
): NotifySettings | undefined {
  if (inputs.webhookUrl === "" && inputs.webhookSecret === "") return undefined;
  if (inputs.webhookUrl === "") {
    throw missing(
      naming,
      "webhookUrl",
      `${naming.label("webhookSecret")} is set, so the Worker's webhook URL is required`,
    );
  }
  const urlReason = checkHttpUrl(inputs.webhookUrl);
  if (urlReason !== undefined) throw invalid(inputs, naming, "webhookUrl", urlReason);
  if (inputs.webhookSecret === "") {
    throw missing(
      naming,
      "webhookSecret",
      `${naming.label("webhookUrl")} is set, so the secret that signs notifications is required`,
    );
  }
  const secretReason = checkWebhookSecret(inputs.webhookSecret);
  if (secretReason !== undefined) throw invalid(inputs, naming, "webhookSecret", secretReason);
  return {
    url: inputs.webhookUrl,
    secret: inputs.webhookSecret.trim(),
    attempts: NOTIFY_ATTEMPTS,
    timeoutMs: NOTIFY_TIMEOUT_MS,
  };
}

export function readChannel(inputs: PublishInputs, naming: InputNaming): string {
  const channel = inputs.channel === "" ? DEFAULTS.channel : inputs.channel;
  if (!isChannel(channel)) {
    throw invalid(
      { ...inputs, channel },
      naming,
      "channel",
      'expected 1 to 63 lowercase letters, digits or hyphens, starting with a letter or digit (for example "production")',
    );
  }
  return channel;
}

export function readValidationLevel(inputs: PublishInputs, naming: InputNaming): ValidationLevel {
  const level = inputs.validation === "" ? DEFAULTS.validation : inputs.validation;
  const known = VALIDATION_LEVELS.find((candidate) => candidate === level);
  if (known === undefined) {
    throw invalid(
      inputs,
      naming,
      "validation",
      `expected ${VALIDATION_LEVELS.map((value) => `"${value}"`).join(" or ")}`,
    );
  }
  return known;
}

/** Reads the skills folder, relative to the repository root (`""` for the root itself). */
export function readSkillsPath(inputs: PublishInputs, naming: InputNaming): string {
  const result = parseSkillsPath(
    inputs.skillsPath === "" ? DEFAULTS.skillsPath : inputs.skillsPath,
  );
  if ("reason" in result) throw invalid(inputs, naming, "skillsPath", result.reason);
  return result.value;
}

export interface PublishOptions {
  /** Validate and plan only; the store is then optional. */
  dryRun: boolean;
  source: Omit<SourceSettings, "skillsPath">;
}

/** Reads and checks every setting of a publish. Throws `InputError`. */
export function readPublishSettings(
  inputs: PublishInputs,
  naming: InputNaming,
  options: PublishOptions,
): PublishSettings {
  const skillsPath = readSkillsPath(inputs, naming);
  const channel = readChannel(inputs, naming);
  const validation = readValidationLevel(inputs, naming);
  const store = readStoreSettings(inputs, naming, { required: !options.dryRun });
  const notify = readNotifySettings(inputs, naming);
  return {
    source: { ...options.source, skillsPath },
    store,
    channel,
    validation,
    dryRun: options.dryRun,
    notify,
  };
}
