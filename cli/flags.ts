/**
 * The CLI's flags: their names, types, environment variables and help
 * lines, and which command accepts which. Flags mirror the Action's inputs.
 * Every flag but `--reason`, `--json` and `--help` has an `R2_SKILLS_<NAME>`
 * variable, and the store's credentials, region and endpoint also read the
 * standard `AWS_*` variables.
 */

import { DEFAULTS, type InputName } from "../publisher/inputs.ts";

export interface FlagSpec {
  /** Long name without the dashes. */
  name: string;
  type: "string" | "boolean";
  /** Environment variables read when the flag is absent, first match wins. */
  env: string[];
  /** Placeholder of the value in help, such as `NAME`. */
  value?: string;
  help: string;
  /** A secret: a warning when passed as a flag, never shown in messages. */
  secret?: boolean;
  /** The publish setting this flag sets. */
  input?: InputName;
}

function flag(spec: FlagSpec): FlagSpec {
  return spec;
}

export const FLAGS = {
  skillsPath: flag({
    name: "skills-path",
    type: "string",
    env: ["R2_SKILLS_SKILLS_PATH"],
    value: "PATH",
    help: 'Skills folder, relative to the current directory (default "skills")',
    input: "skillsPath",
  }),
  bucket: flag({
    name: "bucket",
    type: "string",
    env: ["R2_SKILLS_BUCKET"],
    value: "NAME",
    help: "Bucket to publish to",
    input: "bucket",
  }),
  accountId: flag({
    name: "account-id",
    type: "string",
    env: ["R2_SKILLS_ACCOUNT_ID"],
    value: "ID",
    help: "Cloudflare account id; sets the R2 endpoint",
    input: "accountId",
  }),
  jurisdiction: flag({
    name: "jurisdiction",
    type: "string",
    env: ["R2_SKILLS_JURISDICTION"],
    value: "NAME",
    help: 'R2 jurisdiction of the bucket: "eu" or "fedramp" (default: none)',
    input: "jurisdiction",
  }),
  endpoint: flag({
    name: "endpoint",
    type: "string",
    env: ["R2_SKILLS_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"],
    value: "URL",
    help: "S3-compatible endpoint URL; wins over --account-id",
    input: "endpoint",
  }),
  accessKeyId: flag({
    name: "access-key-id",
    type: "string",
    env: ["R2_SKILLS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"],
    value: "KEY",
    help: "Access key id of the bucket's API token (prefer the variable)",
    secret: true,
    input: "accessKeyId",
  }),
  secretAccessKey: flag({
    name: "secret-access-key",
    type: "string",
    env: ["R2_SKILLS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"],
    value: "KEY",
    help: "Secret access key (prefer the variable)",
    secret: true,
    input: "secretAccessKey",
  }),
  region: flag({
    name: "region",
    type: "string",
    env: ["R2_SKILLS_REGION", "AWS_REGION"],
    value: "NAME",
    help: 'Signing region (default "auto"; AWS_REGION is ignored for R2)',
    input: "region",
  }),
  prefix: flag({
    name: "prefix",
    type: "string",
    env: ["R2_SKILLS_PREFIX"],
    value: "PATH",
    help: "Root prefix of every key in the bucket (default: none)",
    input: "prefix",
  }),
  channel: flag({
    name: "channel",
    type: "string",
    env: ["R2_SKILLS_CHANNEL"],
    value: "NAME",
    help: 'Channel to publish to (default "production")',
    input: "channel",
  }),
  webhookUrl: flag({
    name: "webhook-url",
    type: "string",
    env: ["R2_SKILLS_WEBHOOK_URL"],
    value: "URL",
    help: "URL of the Worker's /webhooks/publish route, which receives the signed notification",
    input: "webhookUrl",
  }),
  webhookSecret: flag({
    name: "webhook-secret",
    type: "string",
    env: ["R2_SKILLS_WEBHOOK_SECRET"],
    value: "SECRET",
    help: "whsec_ secret that signs the notification (prefer the variable)",
    secret: true,
    input: "webhookSecret",
  }),
  validation: flag({
    name: "validation",
    type: "string",
    env: ["R2_SKILLS_VALIDATION"],
    value: "LEVEL",
    help: '"claude-code" (default), or "strict" for specification fields only',
    input: "validation",
  }),
  concurrency: flag({
    name: "concurrency",
    type: "string",
    env: ["R2_SKILLS_CONCURRENCY"],
    value: "N",
    help: `Requests to the bucket in flight at once (default ${DEFAULTS.concurrency})`,
    input: "concurrency",
  }),
  dryRun: flag({
    name: "dry-run",
    type: "boolean",
    env: ["R2_SKILLS_DRY_RUN"],
    help: "Validate and print the plan; write and send nothing",
  }),
  fromCommit: flag({
    name: "from-commit",
    type: "boolean",
    env: ["R2_SKILLS_FROM_COMMIT"],
    help: "Publish the files of HEAD, as the Action does, not the working tree",
  }),
  repository: flag({
    name: "repository",
    type: "string",
    env: ["R2_SKILLS_REPOSITORY"],
    value: "OWNER/NAME",
    help: "Repository recorded in the manifest (default: the GitHub origin remote)",
  }),
  ref: flag({
    name: "ref",
    type: "string",
    env: ["R2_SKILLS_REF"],
    value: "REF",
    help: "Git ref recorded in the notification (default: the current branch)",
  }),
  workerUrl: flag({
    name: "worker-url",
    type: "string",
    env: ["R2_SKILLS_WORKER_URL"],
    value: "URL",
    help: "Base URL of the Worker",
  }),
  adminToken: flag({
    name: "admin-token",
    type: "string",
    env: ["R2_SKILLS_ADMIN_TOKEN"],
    value: "TOKEN",
    help: "The Worker's ADMIN_TOKEN (prefer the variable)",
    secret: true,
  }),
  reason: flag({
    name: "reason",
    type: "string",
    env: [],
    value: "TEXT",
    help: "Why the channel changes, kept in its history",
  }),
  json: flag({
    name: "json",
    type: "boolean",
    env: [],
    help: "Print one JSON object on stdout; logs go to stderr",
  }),
  verbose: flag({
    name: "verbose",
    type: "boolean",
    env: ["R2_SKILLS_VERBOSE"],
    help: "Log debug detail to stderr",
  }),
  help: flag({
    name: "help",
    type: "boolean",
    env: [],
    help: "Show this help",
  }),
} as const;

export type FlagKey = keyof typeof FLAGS;

const STORE: FlagKey[] = [
  "bucket",
  "accountId",
  "jurisdiction",
  "endpoint",
  "accessKeyId",
  "secretAccessKey",
  "region",
  "prefix",
  "concurrency",
];
const WEBHOOK: FlagKey[] = ["webhookUrl", "webhookSecret"];
const WORKER: FlagKey[] = ["workerUrl", "adminToken"];
const COMMON: FlagKey[] = ["json", "verbose", "help"];

export interface CommandSpec {
  usage: string;
  summary: string;
  flags: FlagKey[];
  /** Lines of detail after the usage line. */
  details: string[];
}

export const COMMANDS = {
  validate: {
    usage: "r2-skills validate [path] [flags]",
    summary: "Check the skills folder against the Agent Skills specification",
    flags: ["skillsPath", "validation", ...COMMON],
    details: [
      'Checks every skill in the folder (default: --skills-path, or "skills") as it is',
      "on disk, including uncommitted changes. Problems print as file:line: message.",
      "Exit status: 0 valid, 1 invalid, 2 usage error.",
    ],
  },
  publish: {
    usage: "r2-skills publish [flags]",
    summary: "Publish the skills to the bucket as a new version and notify the Worker",
    flags: [
      "skillsPath",
      "channel",
      "validation",
      ...STORE,
      ...WEBHOOK,
      "dryRun",
      "fromCommit",
      "repository",
      "ref",
      ...COMMON,
    ],
    details: [
      "Publishes the working tree: the version id is the commit sha when the skills",
      "folder equals HEAD, else local-<hex>. --from-commit publishes HEAD instead.",
      "The notification is sent when --webhook-url and --webhook-secret are set.",
    ],
  },
  notify: {
    usage: "r2-skills notify <version> [flags]",
    summary: "Send the notification of a version already in the bucket again",
    flags: ["channel", ...STORE, ...WEBHOOK, "ref", ...COMMON],
    details: [
      "Rebuilds the signed notification of <version> for --channel from the bucket and",
      "sends it to --webhook-url, for example after the Worker missed a delivery.",
    ],
  },
  status: {
    usage: "r2-skills status [channel] [flags]",
    summary: "Show the channels, or one channel's current version and history",
    flags: [...WORKER, ...COMMON],
    details: ["Reads the Worker's management API with the admin token."],
  },
  rollback: {
    usage: "r2-skills rollback <channel> <version> [--reason TEXT] [flags]",
    summary: "Point a channel at a recorded version (rollback or promotion)",
    flags: [...WORKER, "reason", ...COMMON],
    details: ["New sessions on the channel mount <version> from then on."],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(value: string): value is CommandName {
  return Object.hasOwn(COMMANDS, value);
}
