/**
 * The Action's inputs: the only module that calls `core.getInput`. Secrets
 * are masked before anything else happens, then every input is checked and
 * turned into `PublishSettings`. Messages name the input as the workflow
 * writes it (`skills-path`) and state how to fix it.
 */

import * as core from "@actions/core";
import { SECRET_PREFIX } from "../core/signing.ts";
import { parseBoolean } from "../publisher/input-checks.ts";
import {
  InputError,
  type InputName,
  type InputNaming,
  type PublishInputs,
  readPublishSettings,
  SECRET_INPUTS,
} from "../publisher/inputs.ts";
import type { PublishSettings } from "../publisher/types.ts";
import type { GitHubContext } from "./context.ts";

/** The input names of `action.yml`, by setting. */
export const INPUT_NAMES: Record<InputName | "dryRun", string> = {
  skillsPath: "skills-path",
  bucket: "bucket",
  accountId: "account-id",
  jurisdiction: "jurisdiction",
  endpoint: "endpoint",
  accessKeyId: "access-key-id",
  secretAccessKey: "secret-access-key",
  region: "region",
  prefix: "prefix",
  channel: "channel",
  webhookUrl: "webhook-url",
  webhookSecret: "webhook-secret",
  validation: "validation",
  concurrency: "concurrency",
  dryRun: "dry-run",
};

const naming: InputNaming = {
  label: (name) => `input "${INPUT_NAMES[name]}"`,
  howToSet: (name) =>
    SECRET_INPUTS.includes(name)
      ? `set "${INPUT_NAMES[name]}" under "with:" from a repository secret, such as \${{ secrets.NAME }}`
      : `set "${INPUT_NAMES[name]}" under "with:" in the workflow step`,
};

/** Returns the value of an input by its `action.yml` name; `""` when unset. */
export type GetInput = (name: string) => string;

export interface ActionSettingsOptions {
  /**
   * A pull request run: always a dry run, the store only when its
   * credentials exist (forks get no secrets), and no webhook.
   */
  pullRequest: boolean;
  /** Registers a value with the runner so it is masked in the log. */
  setSecret: (value: string) => void;
}

/** Returns every value to mask for a secret input: the whole value and each of its parts. */
export function secretParts(value: string): string[] {
  const parts = new Set<string>();
  const trimmed = value.trim();
  if (trimmed === "") return [];
  parts.add(trimmed);
  for (const part of trimmed.split(/\s+/)) {
    parts.add(part);
    if (part.startsWith(SECRET_PREFIX) && part.length > SECRET_PREFIX.length) {
      parts.add(part.slice(SECRET_PREFIX.length));
    }
  }
  return [...parts];
}

/** Reads, masks and checks the inputs. Throws `InputError` naming the input and the fix. */
export function readActionSettings(
  getInput: GetInput,
  context: GitHubContext,
  options: ActionSettingsOptions,
): PublishSettings {
  for (const name of SECRET_INPUTS) {
    for (const part of secretParts(getInput(INPUT_NAMES[name]))) options.setSecret(part);
  }
  const read = (name: InputName): string => getInput(INPUT_NAMES[name]).trim();
  const inputs: PublishInputs = {
    skillsPath: read("skillsPath"),
    bucket: read("bucket"),
    accountId: read("accountId"),
    jurisdiction: read("jurisdiction"),
    endpoint: read("endpoint"),
    accessKeyId: read("accessKeyId"),
    secretAccessKey: read("secretAccessKey"),
    region: read("region"),
    prefix: read("prefix"),
    channel: read("channel"),
    webhookUrl: options.pullRequest ? "" : read("webhookUrl"),
    webhookSecret: options.pullRequest ? "" : read("webhookSecret"),
    validation: read("validation"),
    concurrency: read("concurrency"),
  };
  const dryRunText = getInput(INPUT_NAMES.dryRun).trim();
  const dryRun = parseBoolean(dryRunText === "" ? "false" : dryRunText);
  if ("reason" in dryRun) {
    throw new InputError(
      "dryRun",
      `Invalid input "dry-run" ${JSON.stringify(dryRunText)}: ${dryRun.reason}; set "dry-run" under "with:" in the workflow step`,
    );
  }
  if (context.workspace === "") {
    throw new Error(
      "GITHUB_WORKSPACE is not set: run the action in a GitHub Actions job after actions/checkout",
    );
  }
  const runUrl =
    context.repository !== "" && context.runId !== ""
      ? `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`
      : null;
  return readPublishSettings(inputs, naming, {
    dryRun: dryRun.value || options.pullRequest,
    source: {
      repositoryRoot: context.workspace,
      mode: "commit",
      repository: context.repository === "" ? null : context.repository,
      ref: context.ref === "" ? null : context.ref,
      run:
        context.runId === ""
          ? null
          : { id: context.runId, attempt: context.runAttempt, url: runUrl },
    },
  });
}

/** Reads the settings from the runner's inputs. */
export function readRunnerSettings(
  context: GitHubContext,
  options: Pick<ActionSettingsOptions, "pullRequest">,
): PublishSettings {
  return readActionSettings((name) => core.getInput(name), context, {
    ...options,
    setSecret: (value) => core.setSecret(value),
  });
}
