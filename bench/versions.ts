/** Versions of every tool the figures depend on, for the report. */

import { readFile } from "node:fs/promises";
import { versionOf } from "./processes.ts";
import { AWS_COMMAND, RCLONE_COMMAND } from "./tools.ts";

async function packageVersion(name: string): Promise<string | null> {
  try {
    const path = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    const json = JSON.parse(await readFile(path, "utf8")) as { version?: unknown };
    return typeof json.version === "string" ? json.version : null;
  } catch {
    return null;
  }
}

export async function detectToolVersions(): Promise<Record<string, string | null>> {
  const [aws, rclone, s3fs, git] = await Promise.all([
    versionOf(AWS_COMMAND, ["--version"]),
    versionOf(RCLONE_COMMAND, ["version"]),
    versionOf("s3fs", ["--version"]),
    versionOf("git", ["--version"]),
  ]);
  return {
    node: process.version,
    aws: aws ?? null,
    rclone: rclone ?? null,
    s3fs: s3fs ?? null,
    git: git ?? null,
    s3rver: await packageVersion("s3rver"),
    "@aws-sdk/client-s3": await packageVersion("@aws-sdk/client-s3"),
    esbuild: await packageVersion("esbuild"),
    wrangler: await packageVersion("wrangler"),
  };
}
