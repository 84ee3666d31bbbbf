/**
 * The S3-compatible server the benchmark writes to: its own s3rver on
 * 127.0.0.1 in a child process, or the endpoint from `R2_SKILLS_ENDPOINT`,
 * `R2_SKILLS_BUCKET`, `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` when
 * all four are set (the variables the CLI reads).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface BenchServer {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `s3rver` when the benchmark started its own server, else `external`. */
  kind: "s3rver" | "external";
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./s3rver-child.ts", import.meta.url));
const START_TIMEOUT_MS = 30_000;

/** Returns the external server from the environment, or `undefined` when it is not configured. */
export function externalServer(env: NodeJS.ProcessEnv): BenchServer | undefined {
  const endpoint = env.R2_SKILLS_ENDPOINT;
  const bucket = env.R2_SKILLS_BUCKET;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!endpoint) return undefined;
  const missing = [
    ["R2_SKILLS_BUCKET", bucket],
    ["AWS_ACCESS_KEY_ID", accessKeyId],
    ["AWS_SECRET_ACCESS_KEY", secretAccessKey],
  ].filter(([, value]) => !value);
  if (missing.length > 0 || !bucket || !accessKeyId || !secretAccessKey) {
    const names = missing.map(([name]) => name).join(", ");
    throw new Error(
      `R2_SKILLS_ENDPOINT is set but ${names} is missing: set all of them, or unset R2_SKILLS_ENDPOINT to use a local s3rver`,
    );
  }
  return {
    endpoint,
    bucket,
    region: env.R2_SKILLS_REGION || env.AWS_REGION || "us-east-1",
    accessKeyId,
    secretAccessKey,
    kind: "external",
    close: async () => {},
  };
}

/** Starts s3rver in a child process on 127.0.0.1 with one empty bucket. */
export async function startLocalServer(): Promise<BenchServer> {
  // s3rver 3.7 encrypts ListObjectsV2 continuation tokens with DES, which
  // OpenSSL 3 only offers through its legacy provider. Without it, every
  // listing of more than 1,000 keys fails with InternalError.
  const child: ChildProcess = spawn(process.execPath, ["--openssl-legacy-provider", CHILD], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const stdout = child.stdout;
  if (stdout === null) throw new Error("s3rver child has no standard output");
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: stdout }).once("line", (text) => {
      clearTimeout(timer);
      resolve(text);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with code ${code} before it started`));
    });
  });
  const settings = JSON.parse(line) as {
    endpoint: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  return {
    ...settings,
    region: "us-east-1",
    kind: "s3rver",
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
}
