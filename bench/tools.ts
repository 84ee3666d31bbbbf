/**
 * The reference tools, `aws s3` (AWS CLI v2) and `rclone`, at their default
 * transfer settings. Each gets configuration files in a temporary folder and
 * `HOME` pointing there, so the user's own configuration is never read.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "./processes.ts";
import type { BenchServer } from "./server.ts";

/** The Debian package's AWS CLI v2; another `aws` on `PATH` may be v1. */
export const AWS_COMMAND = process.env.BENCH_AWS ?? "/usr/bin/aws";
export const RCLONE_COMMAND = process.env.BENCH_RCLONE ?? "rclone";

const RCLONE_REMOTE = "bench";

export interface ReferenceTools {
  /** `aws s3 sync <folder> s3://<bucket>/<prefix>`; returns milliseconds. */
  awsSync(folder: string, prefix: string, endpoint: string): Promise<number>;
  /** `rclone copy` (or `sync`) `<folder> bench:<bucket>/<prefix>`; returns milliseconds. */
  rclone(
    operation: "copy" | "sync",
    folder: string,
    prefix: string,
    endpoint: string,
  ): Promise<number>;
  close(): Promise<void>;
}

export async function createReferenceTools(server: BenchServer): Promise<ReferenceTools> {
  const home = await mkdtemp(join(tmpdir(), "r2-skills-bench-tools-"));
  const awsConfig = join(home, "aws-config");
  const awsCredentials = join(home, "aws-credentials");
  await writeFile(
    awsConfig,
    `[default]\nregion = ${server.region}\ns3 =\n  addressing_style = path\n`,
  );
  await writeFile(
    awsCredentials,
    `[default]\naws_access_key_id = ${server.accessKeyId}\naws_secret_access_key = ${server.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const baseEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
  };
  const awsEnv = {
    ...baseEnv,
    AWS_CONFIG_FILE: awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: awsCredentials,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  };
  const rcloneConfigFor = async (endpoint: string): Promise<string> => {
    const path = join(home, `rclone-${new URL(endpoint).port || "default"}.conf`);
    await writeFile(
      path,
      [
        `[${RCLONE_REMOTE}]`,
        "type = s3",
        "provider = Other",
        `access_key_id = ${server.accessKeyId}`,
        `secret_access_key = ${server.secretAccessKey}`,
        `endpoint = ${endpoint}`,
        `region = ${server.region}`,
        "force_path_style = true",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    return path;
  };

  return {
    async awsSync(folder, prefix, endpoint) {
      const destination = `s3://${server.bucket}/${prefix.replace(/\/$/, "")}`;
      const args = ["s3", "sync", folder, destination, "--endpoint-url", endpoint];
      // Progress output is display only; it changes no transfer setting.
      args.push("--only-show-errors");
      return (await runCommand(AWS_COMMAND, args, awsEnv)).ms;
    },
    async rclone(operation, folder, prefix, endpoint) {
      const config = await rcloneConfigFor(endpoint);
      const destination = `${RCLONE_REMOTE}:${server.bucket}/${prefix.replace(/\/$/, "")}`;
      const env = { ...baseEnv, RCLONE_CONFIG: config };
      return (await runCommand(RCLONE_COMMAND, [operation, folder, destination], env)).ms;
    },
    close: () => rm(home, { recursive: true, force: true }),
  };
}
