/**
 * Builds each command's settings from the flag values that `settings.ts`
 * read from argv and the environment, checking arguments and values.
 * Every problem is a `UsageError` that names the flag or variable and the fix.
 */

import { resolve } from "node:path";
import { assertChannel, assertVersionId, InvalidIdError } from "../core/ids.ts";
import { checkCredential, checkHttpUrl } from "../publisher/input-checks.ts";
import {
  DEFAULTS,
  InputError,
  type InputName,
  type InputNaming,
  type PublishInputs,
  readChannel,
  readNotifySettings,
  readStoreSettings,
  readValidationLevel,
} from "../publisher/inputs.ts";
import {
  type CliCommand,
  type CommonSettings,
  type FlagValue,
  type FlagValues,
  UsageError,
  type WorkerSettings,
} from "./command.ts";
import { COMMANDS, type CommandName, FLAGS, type FlagKey } from "./flags.ts";

/** The reason recorded when `rollback` gets no `--reason`. */
export const DEFAULT_ROLLBACK_REASON = "Set with r2-skills rollback";

/** Builds the settings of command `name` from its flag values and positional arguments. */
export function buildCommand(
  name: CommandName,
  values: FlagValues,
  positionals: string[],
  common: CommonSettings,
  cwd: string,
): CliCommand {
  const flagBoolean = (key: FlagKey): boolean => values.get(key)?.value === true;
  const text = (key: FlagKey): string => {
    const entry = values.get(key);
    return typeof entry?.value === "string" ? entry.value : "";
  };

  switch (name) {
    case "validate": {
      expectPositionals(name, positionals, 0, 1);
      const inputs = publishInputs(text);
      const naming = namingFor(values);
      const argument = positionals[0];
      const folder = argument ?? (text("skillsPath") || DEFAULTS.skillsPath);
      return {
        ...common,
        name,
        skillsFolder: resolve(cwd, folder),
        skillsFolderFix: skillsFolderFix(argument, values.get("skillsPath")),
        validation: wrap(() => readValidationLevel(inputs, naming)),
      };
    }
    case "publish": {
      expectPositionals(name, positionals, 0, 0);
      dropAwsRegionForR2(values);
      const inputs = publishInputs(text);
      const naming = namingFor(values);
      const dryRun = flagBoolean("dryRun");
      return {
        ...common,
        name,
        skillsFolder: resolve(cwd, text("skillsPath") || DEFAULTS.skillsPath),
        channel: wrap(() => readChannel(inputs, naming)),
        validation: wrap(() => readValidationLevel(inputs, naming)),
        store: wrap(() => readStoreSettings(inputs, naming, { required: !dryRun })),
        notify: wrap(() => readNotifySettings(inputs, naming)),
        dryRun,
        fromCommit: flagBoolean("fromCommit"),
        repository: optionalRepository(values.get("repository")),
        ref: text("ref") || null,
      };
    }
    case "notify": {
      expectPositionals(name, positionals, 1, 1, "<version>");
      dropAwsRegionForR2(values);
      const version = wrapId(() => assertVersionId(positionals[0], "version argument"));
      const inputs = publishInputs(text);
      const naming = namingFor(values);
      const store = wrap(() => readStoreSettings(inputs, naming, { required: true }));
      const notify = wrap(() => readNotifySettings(inputs, naming));
      if (store === undefined) throw new UsageError("The bucket settings are required");
      if (notify === undefined) {
        throw new UsageError(
          'Missing --webhook-url and --webhook-secret: "notify" sends the notification to the Worker; set R2_SKILLS_WEBHOOK_URL and R2_SKILLS_WEBHOOK_SECRET',
        );
      }
      return {
        ...common,
        name,
        version,
        channel: wrap(() => readChannel(inputs, naming)),
        ref: text("ref") || null,
        store,
        notify,
      };
    }
    case "status": {
      expectPositionals(name, positionals, 0, 1, "[channel]");
      const channel = positionals[0];
      return {
        ...common,
        name,
        channel:
          channel === undefined
            ? undefined
            : wrapId(() => assertChannel(channel, "channel argument")),
        worker: workerSettings(values),
      };
    }
    case "rollback": {
      expectPositionals(name, positionals, 2, 2, "<channel> <version>");
      return {
        ...common,
        name,
        channel: wrapId(() => assertChannel(positionals[0], "channel argument")),
        version: wrapId(() => assertVersionId(positionals[1], "version argument")),
        reason: rollbackReason(values.get("reason")),
        worker: workerSettings(values),
      };
    }
  }
}

/** Returns the fix for a missing skills folder, naming the argument, flag or variable that gave it. */
function skillsFolderFix(argument: string | undefined, setting: FlagValue | undefined): string {
  const need = "must name the folder that contains the skills";
  if (argument !== undefined) return `the path argument ${JSON.stringify(argument)} ${need}`;
  if (typeof setting?.value === "string" && setting.value !== "") {
    return `${setting.source} ${JSON.stringify(setting.value)} ${need}`;
  }
  return "pass the folder that contains the skills as the path argument or with --skills-path";
}

function expectPositionals(
  name: CommandName,
  positionals: string[],
  min: number,
  max: number,
  shape = "",
): void {
  if (positionals.length >= min && positionals.length <= max) return;
  const expected =
    max === 0
      ? "no arguments"
      : min === max
        ? `the arguments ${shape}`
        : `at most the arguments ${shape}`;
  const got =
    positionals.length === 0 ? "none" : positionals.map((value) => JSON.stringify(value)).join(" ");
  throw new UsageError(
    `"r2-skills ${name}" takes ${expected}, got ${got}; usage: ${COMMANDS[name].usage}`,
  );
}

/** Maps the settings' names to the CLI's: the source that set a value, else the flag. */
function namingFor(values: FlagValues): InputNaming {
  const flagOf = (input: InputName): FlagKey => {
    const key = (Object.keys(FLAGS) as FlagKey[]).find((candidate) => {
      const spec = FLAGS[candidate];
      return "input" in spec && spec.input === input;
    });
    if (key === undefined) throw new Error(`No flag sets the setting ${input}`);
    return key;
  };
  return {
    label: (input) => values.get(flagOf(input))?.source ?? `--${FLAGS[flagOf(input)].name}`,
    howToSet: (input) => {
      const spec = FLAGS[flagOf(input)];
      const variables = spec.env.join(" or ");
      return "secret" in spec && spec.secret === true
        ? `set ${variables}`
        : `pass --${spec.name} or set ${variables}`;
    },
  };
}

function publishInputs(text: (key: FlagKey) => string): PublishInputs {
  return {
    skillsPath: text("skillsPath"),
    bucket: text("bucket"),
    accountId: text("accountId"),
    jurisdiction: text("jurisdiction"),
    endpoint: text("endpoint"),
    accessKeyId: text("accessKeyId"),
    secretAccessKey: text("secretAccessKey"),
    region: text("region"),
    prefix: text("prefix"),
    channel: text("channel"),
    webhookUrl: text("webhookUrl"),
    webhookSecret: text("webhookSecret"),
    validation: text("validation"),
    concurrency: text("concurrency"),
  };
}

/**
 * Ignores AWS_REGION when the endpoint is R2's (set from the account id),
 * because R2 uses the region "auto" and a region left in a shell for AWS is
 * meant for AWS. R2_SKILLS_REGION and --region still apply.
 */
function dropAwsRegionForR2(values: FlagValues): void {
  if (values.get("region")?.source === "AWS_REGION" && !values.has("endpoint")) {
    values.delete("region");
  }
}

function optionalRepository(entry: FlagValue | undefined): string | null {
  if (entry === undefined || typeof entry.value !== "string") return null;
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(entry.value)) {
    throw new UsageError(
      `Invalid ${entry.source} ${JSON.stringify(entry.value)}: expected "owner/name"`,
    );
  }
  return entry.value;
}

function workerSettings(values: FlagValues): WorkerSettings {
  const url = values.get("workerUrl");
  if (url === undefined || typeof url.value !== "string") {
    throw new UsageError(
      "Missing --worker-url: pass the Worker's base URL with --worker-url or set R2_SKILLS_WORKER_URL",
    );
  }
  const urlReason = checkHttpUrl(url.value);
  if (urlReason !== undefined) {
    throw new UsageError(`Invalid ${url.source} ${JSON.stringify(url.value)}: ${urlReason}`);
  }
  const token = values.get("adminToken");
  if (token === undefined || typeof token.value !== "string") {
    throw new UsageError(
      "Missing admin token: set R2_SKILLS_ADMIN_TOKEN to the Worker's ADMIN_TOKEN",
    );
  }
  const tokenReason = checkCredential(token.value);
  if (tokenReason !== undefined) {
    throw new UsageError(`Invalid ${token.source}: ${tokenReason}`);
  }
  return { url: url.value.replace(/\/+$/, ""), adminToken: token.value };
}

/** Maximum length of `--reason` the Worker accepts, in characters. */
export const MAX_REASON_LENGTH = 500;

function rollbackReason(entry: FlagValue | undefined): string {
  const reason = typeof entry?.value === "string" ? entry.value.trim() : "";
  if (reason === "") return DEFAULT_ROLLBACK_REASON;
  if (reason.length > MAX_REASON_LENGTH) {
    throw new UsageError(
      `Invalid --reason: it is ${reason.length} characters; the Worker keeps at most ${MAX_REASON_LENGTH}, so shorten it`,
    );
  }
  return reason;
}

function wrap<T>(read: () => T): T {
  try {
    return read();
  } catch (error: unknown) {
    if (error instanceof InputError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

function wrapId<T>(read: () => T): T {
  try {
    return read();
  } catch (error: unknown) {
    if (error instanceof InvalidIdError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
