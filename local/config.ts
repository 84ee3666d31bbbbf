/**
 * The local stack's settings: command-line options, and the secrets in
 * `<state>/local.json` (mode 0600) that are generated on the first start and
 * reused on later ones, so clients configured once keep working.
 */

import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { assertChannel } from "../core/ids.ts";
import { normalizePrefix } from "../core/keys.ts";
import { SECRET_PREFIX } from "../core/signing.ts";
import { S3RVER_CREDENTIAL } from "./s3-server.ts";

export type MountChoice = "auto" | "s3fs" | "copy";

export interface StartOptions {
  /** Absolute path of the repository whose skills are published. */
  repositoryRoot: string;
  /** Skills folder relative to `repositoryRoot`. */
  skillsPath: string;
  /** Absolute path of the state folder, `<repository>/.r2-skills` by default. */
  stateDir: string;
  channel: string;
  /** 0 picks a free port. */
  s3Port: number;
  workerPort: number;
  hostPort: number;
  mount: MountChoice;
  once: boolean;
  json: boolean;
  verbose: boolean;
}

export const USAGE = `Usage: npm start -- [options]

Runs the bucket, the Worker and the sandbox host on 127.0.0.1, publishes the
skills folder, opens a session and republishes on every change.

Options:
  --once               Publish, open one session, print the result and exit
  --json               With --once: print one JSON object on stdout, logs on stderr
                       (run npm start --silent -- --once --json, so that npm's
                       own lines stay off stdout)
  --skills PATH        Skills folder, relative to the repository (default: skills)
  --channel NAME       Channel to publish to (default: production)
  --mount MODE         auto, s3fs or copy (default: auto, s3fs when it works)
  --s3-port PORT       Port of the bucket (default: a free port)
  --worker-port PORT   Port of the Worker (default: a free port)
  --host-port PORT     Port of the sandbox host (default: a free port)
  --state-dir PATH     Folder for data and secrets (default: .r2-skills)
  --verbose            Show debug lines and the Worker's own logs
  --help               Show this help
`;

/** A command-line option is invalid; the message names it and the fix. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

function port(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1 || parsed > 65535) {
    throw new UsageError(
      `Invalid --${name} ${JSON.stringify(value)}: expected a port from 1 to 65535`,
    );
  }
  return parsed;
}

/** Parses the command line; returns `undefined` when `--help` was given. */
export function parseStartOptions(argv: string[], cwd: string): StartOptions | undefined {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error: unknown) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}; see --help`, {
      cause: error,
    });
  }
  const { values } = parsed;
  if (values.help) return undefined;

  const mount = values.mount ?? "auto";
  if (mount !== "auto" && mount !== "s3fs" && mount !== "copy") {
    throw new UsageError(`Invalid --mount ${JSON.stringify(mount)}: expected auto, s3fs or copy`);
  }
  if (values.json && !values.once) {
    throw new UsageError("--json needs --once: the JSON result describes one round");
  }

  const channel = values.channel ?? "production";
  try {
    assertChannel(channel, "--channel");
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }

  const skillsPath = (values.skills ?? "skills").replace(/^\.\/+/, "").replace(/\/+$/, "");
  if (skillsPath === "" || skillsPath.startsWith("/") || skillsPath.split("/").includes("..")) {
    throw new UsageError(
      `Invalid --skills ${JSON.stringify(values.skills)}: expected a folder inside the repository, such as "skills"`,
    );
  }

  return {
    repositoryRoot: resolve(cwd),
    skillsPath,
    stateDir: resolve(cwd, values["state-dir"] ?? ".r2-skills"),
    channel,
    s3Port: port("s3-port", values["s3-port"]),
    workerPort: port("worker-port", values["worker-port"]),
    hostPort: port("host-port", values["host-port"]),
    mount,
    once: values.once ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}

const OPTIONS = {
  once: { type: "boolean" },
  json: { type: "boolean" },
  skills: { type: "string" },
  channel: { type: "string" },
  mount: { type: "string" },
  "s3-port": { type: "string" },
  "worker-port": { type: "string" },
  "host-port": { type: "string" },
  "state-dir": { type: "string" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const localFileSchema = z.object({
  workerUrl: z.string(),
  hostUrl: z.string(),
  s3: z.object({
    endpoint: z.string(),
    bucket: z.string().min(3).max(63),
    prefix: z.string(),
    region: z.string().min(1),
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
  }),
  webhookSecret: z.string().startsWith(SECRET_PREFIX),
  adminToken: z.string().min(16),
  sessionToken: z.string().min(16),
  hostToken: z.string().min(16),
});

/** The contents of `local.json`: where each part listens and the secrets between them. */
export type LocalFile = z.infer<typeof localFileSchema>;

/** The secrets and bucket settings that persist across starts. */
export type LocalSecrets = Omit<LocalFile, "workerUrl" | "hostUrl">;

export const DEFAULT_BUCKET = "r2-skills";
/** s3rver accepts any region in a signature; s3fs and the SDK need one. */
export const DEFAULT_REGION = "us-east-1";

function token(): string {
  return randomBytes(32).toString("base64url");
}

export function localFilePath(stateDir: string): string {
  return join(stateDir, "local.json");
}

/**
 * Reads the secrets of an earlier start, or generates new ones when the file
 * is missing. A file that exists but is invalid is an error, so a typo does
 * not silently rotate every secret.
 */
export async function loadOrCreateSecrets(stateDir: string): Promise<LocalSecrets> {
  const path = localFilePath(stateDir);
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (text !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error: unknown) {
      throw new Error(`${path} is not valid JSON; fix it or delete it to generate new secrets`, {
        cause: error,
      });
    }
    const result = localFileSchema.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(
        `${path} is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}; fix it or delete it to generate new secrets`,
      );
    }
    const { workerUrl: _workerUrl, hostUrl: _hostUrl, ...secrets } = result.data;
    return { ...secrets, s3: { ...secrets.s3, prefix: normalizePrefix(secrets.s3.prefix) } };
  }
  return {
    s3: {
      endpoint: "",
      bucket: DEFAULT_BUCKET,
      prefix: "",
      region: DEFAULT_REGION,
      accessKeyId: S3RVER_CREDENTIAL,
      secretAccessKey: S3RVER_CREDENTIAL,
    },
    webhookSecret: `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`,
    adminToken: token(),
    sessionToken: token(),
    hostToken: token(),
  };
}

/** Writes `local.json` with mode 0600, its folder with mode 0700. */
export async function writeLocalFile(stateDir: string, file: LocalFile): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = localFilePath(stateDir);
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}
