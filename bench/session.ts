/**
 * Session start with the local stack (s3rver, the sandbox host and the
 * Worker in workerd): from `POST /sessions` until every SKILL.md of the
 * version has been read in full from the session's mount, for the s3fs
 * mount and for copy mode. The stack publishes the library once per mode.
 */

import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "../core/logger.ts";
import { detectS3fs, type MountMode } from "../local/mount.ts";
import { startStack } from "../local/stack.ts";
import type { BenchContext } from "./context.ts";
import { SKILLS_PATH } from "./library.ts";
import type { SessionResult } from "./report.ts";
import { median } from "./stats.ts";

const STACK_CHANNEL = "bench";

const READ_CHILD = fileURLToPath(new URL("./read-child.ts", import.meta.url));

/**
 * Starts `read-child.ts` ahead of the session request, so process start is
 * not part of the measured time. `read` resolves once every file is read.
 */
function startReader(paths: readonly string[]): { read(folder: string): Promise<void> } {
  const child = spawn(process.execPath, [READ_CHILD], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", UV_THREADPOOL_SIZE: "16" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  child.stdin.write(`${JSON.stringify(paths)}\n`);
  return {
    async read(folder) {
      child.stdin.end(`${folder}\n`);
      const code = await exited;
      if (code !== 0) {
        throw new Error(`Reading the SKILL.md files of ${folder} failed: ${stderr.slice(-2000)}`);
      }
    },
  };
}

async function measureMode(
  context: BenchContext,
  mode: MountMode,
  rounds: number,
): Promise<SessionResult> {
  const { library } = context;
  const stateDir = await mkdtemp(join(tmpdir(), "r2-skills-bench-stack-"));
  try {
    const stack = await startStack({
      repositoryRoot: library.root,
      skillsPath: SKILLS_PATH,
      stateDir,
      channel: STACK_CHANNEL,
      s3Port: 0,
      workerPort: 0,
      hostPort: 0,
      mount: mode,
      verbose: false,
      logger: silentLogger,
    });
    try {
      await stack.publish();
      const runs: number[] = [];
      const readyRuns: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const reader = startReader(library.skillFiles);
        const started = performance.now();
        const session = await stack.openSession();
        readyRuns.push(performance.now() - started);
        await reader.read(session.mountPath);
        runs.push(performance.now() - started);
      }
      return {
        files: library.files,
        skills: library.skills,
        mode,
        runs,
        median: median(runs),
        readyRuns,
        readyMedian: median(readyRuns),
      };
    } finally {
      await stack.stop();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Measures both mount modes; s3fs is skipped with the reason when it cannot mount here. */
export async function measureSessions(
  context: BenchContext,
  rounds: number,
): Promise<{ results: SessionResult[]; skipped: string[] }> {
  const results: SessionResult[] = [];
  const skipped: string[] = [];
  const s3fs = await detectS3fs();
  if (s3fs.available) results.push(await measureMode(context, "s3fs", rounds));
  else skipped.push(`Session start with s3fs: ${s3fs.reason}`);
  results.push(await measureMode(context, "copy", rounds));
  return { results, skipped };
}
