/**
 * The Action's cold start: from spawning `node dist/index.js` (as the runner
 * does) until its first request reaches the counting proxy, and the size of
 * that bundle. The run is a `workflow_dispatch` publish of the library into
 * its own prefix.
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchContext, CHANNEL, requireProxy } from "./context.ts";
import { SKILLS_PATH } from "./library.ts";
import type { ActionResult } from "./report.ts";
import { median } from "./stats.ts";

/** Characters of the Action's output kept for an error message. */
const OUTPUT_TAIL = 4000;

export const ACTION_BUNDLE = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** Returns the runner's environment for one run; inputs are `INPUT_<NAME>` as `@actions/core` reads them. */
function runnerEnv(context: BenchContext, folder: string, prefix: string): NodeJS.ProcessEnv {
  const { server, library } = context;
  const proxy = requireProxy(context);
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: folder,
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: "workflow_dispatch",
    GITHUB_EVENT_PATH: join(folder, "event.json"),
    GITHUB_WORKSPACE: library.root,
    GITHUB_SHA: library.head,
    GITHUB_REF: "refs/heads/main",
    GITHUB_REPOSITORY: "example/skills",
    GITHUB_RUN_ID: "1",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_OUTPUT: join(folder, "output"),
    GITHUB_STEP_SUMMARY: join(folder, "summary.md"),
    "INPUT_SKILLS-PATH": SKILLS_PATH,
    INPUT_BUCKET: server.bucket,
    INPUT_ENDPOINT: proxy.endpoint,
    "INPUT_ACCESS-KEY-ID": server.accessKeyId,
    "INPUT_SECRET-ACCESS-KEY": server.secretAccessKey,
    INPUT_REGION: server.region,
    INPUT_PREFIX: prefix,
    INPUT_CHANNEL: CHANNEL,
  };
}

async function coldStart(context: BenchContext, folder: string, prefix: string): Promise<number> {
  const firstRequest = requireProxy(context).nextRequest();
  const started = performance.now();
  const child = spawn(process.execPath, [ACTION_BUNDLE], {
    env: runnerEnv(context, folder, prefix),
    cwd: context.library.root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const first = await Promise.race([firstRequest, exited.then(() => undefined)]);
  const code = await exited;
  if (first === undefined) {
    throw new Error(`dist/index.js exited with code ${code} before its first request: ${output}`);
  }
  if (code !== 0) {
    throw new Error(`dist/index.js exited with code ${code}: ${output}`);
  }
  return first - started;
}

export async function measureAction(
  context: BenchContext,
  rounds: number,
): Promise<ActionResult | { reason: string }> {
  if (!existsSync(ACTION_BUNDLE)) {
    return { reason: "Action cold start: dist/index.js is missing; run npm run build first" };
  }
  const folder = await mkdtemp(join(tmpdir(), "r2-skills-bench-action-"));
  try {
    // The runner creates these files before a step starts; @actions/core appends to them.
    await writeFile(join(folder, "event.json"), "{}");
    await writeFile(join(folder, "output"), "");
    await writeFile(join(folder, "summary.md"), "");
    const runs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      runs.push(await coldStart(context, folder, `${context.prefix}action-${round}`));
    }
    return {
      coldStartRuns: runs,
      coldStartMedian: median(runs),
      bundleBytes: (await stat(ACTION_BUNDLE)).size,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
