/**
 * Runs the measured children, the publisher and the ceiling, as bundles
 * (see `bundle.ts`), each timed from spawn to exit. Input travels as JSON
 * on standard input because it contains the secret key.
 */

import { spawn } from "node:child_process";
import type { PublishResult, PublishSettings } from "../publisher/types.ts";
import type { CeilingInput } from "./ceiling-child.ts";

async function runChild(script: string, input: unknown): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_NO_WARNINGS: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(JSON.stringify(input));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  const ms = performance.now() - started;
  if (code !== 0) {
    throw new Error(`${script} exited with code ${code}: ${stderr.slice(-2000)}`);
  }
  return { ms, stdout };
}

/** Publishes in a child process; returns its wall-clock time and the publish result. */
export async function runPublisher(
  bundle: string,
  settings: PublishSettings,
): Promise<{ ms: number; result: PublishResult }> {
  const { ms, stdout } = await runChild(bundle, settings);
  const result = JSON.parse(stdout) as PublishResult;
  if (result.outcome !== "published") {
    throw new Error(
      `Expected the publisher to publish a new version, got outcome "${result.outcome}": ${JSON.stringify(result.problems.slice(0, 3))}`,
    );
  }
  return { ms, result };
}

/** Runs the ceiling's PutObject loop in a child process; returns its wall-clock time. */
export async function runCeiling(bundle: string, input: CeilingInput): Promise<number> {
  return (await runChild(bundle, input)).ms;
}
