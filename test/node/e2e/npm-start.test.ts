/**
 * `npm start --silent -- --once --json` as a user runs it: in a fresh clone
 * of this repository with no `.r2-skills/` yet, then again to reuse its
 * secrets and data, then with an invalid skill. Each run gets its own
 * XDG_CONFIG_HOME, so the test can check what wrangler would write to the user's
 * configuration folder.
 */

import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectS3fs, listMountPoints, pollUntil } from "../../../local/mount.ts";
import { PROJECT_ROOT } from "../../../local/stack.ts";
import type { OnceResult } from "../../../local/start.ts";
import { wranglerLogDir } from "../../../local/worker.ts";

const execFileAsync = promisify(execFile);
const RUN_TIMEOUT_MS = 180_000;

const s3fs = await detectS3fs();
if (!s3fs.available) console.warn(`s3fs not available: tested copy mode only (${s3fs.reason})`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment of each run: no colors, and `configHome` as the user's configuration folder. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function runEnvironment(configHome: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", XDG_CONFIG_HOME: configHome };
  delete env.WRANGLER_LOG_PATH;
  return env;
}

/** A running `npm start` in its own process group, with its output so far. */
interface RunningStack {
  stdout(): string;
  stderr(): string;
  /** Sends SIGINT to npm and everything under it, as Ctrl-C does. */
  interrupt(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the last process holding the pipes, the stack itself, has exited. */
  drained: Promise<void>;
}

function spawnNpmStart(cwd: string, configHome: string, args: string[]): RunningStack {
  const child = spawn("npm", args, {
    cwd,
    env: runEnvironment(configHome),
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so SIGINT reaches npm and everything under it.
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    interrupt: () => process.kill(-(child.pid ?? 0), "SIGINT"),
    exited: new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
    }),
    drained: new Promise((resolve) => child.stderr.once("end", resolve)),
  };
}

function runNpmStart(cwd: string, configHome: string, extra: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["start", "--silent", "--", "--once", "--json", ...extra], {
      cwd,
      env: runEnvironment(configHome),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`npm start did not finish within ${RUN_TIMEOUT_MS} ms; stderr:\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Lines of stdout; `npm --silent` keeps npm's own `> r2-skills start` lines off it. */
function ownOutput(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "");
}

describe("npm start --once --json", () => {
  let root: string;
  let clone: string;
  let configHome: string;
  let head: string;
  let skillFiles: string[];
  let firstRun: Run;
  let firstResult: OnceResult;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "r2-skills-clone-"));
    clone = join(root, "r2-skills");
    configHome = join(root, "config");
    await execFileAsync("git", ["clone", "--quiet", "--no-hardlinks", PROJECT_ROOT, clone]);
    await symlink(join(PROJECT_ROOT, "node_modules"), join(clone, "node_modules"), "dir");
    head = (await execFileAsync("git", ["rev-parse", "HEAD"], { cwd: clone })).stdout.trim();
    const listed = (await execFileAsync("git", ["ls-files", "skills"], { cwd: clone })).stdout;
    skillFiles = listed
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.slice("skills/".length))
      .sort();
    firstRun = await runNpmStart(clone, configHome);
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it("prints one JSON result", () => {
    expect(firstRun.code, firstRun.stderr).toBe(0);
    const lines = ownOutput(firstRun.stdout);
    expect(lines).toHaveLength(1);
    firstResult = JSON.parse(lines[0] ?? "") as OnceResult;
    expect(Object.keys(firstResult).sort()).toEqual(
      ["channel", "files", "mode", "mountPath", "sessionId", "version"].sort(),
    );
  });

  it("reports the commit, the mode and the files", () => {
    expect(firstResult.version).toBe(head);
    expect(firstResult.channel).toBe("production");
    expect(firstResult.mode).toBe(s3fs.available ? "s3fs" : "copy");
    expect(firstResult.sessionId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
    expect(firstResult.mountPath.startsWith(join(clone, ".r2-skills", "sessions"))).toBe(true);
    expect(firstResult.files).toEqual(skillFiles);
  });

  it("logs the steps on stderr", () => {
    expect(firstRun.stderr).toContain("Starting the bucket");
    expect(firstRun.stderr).toContain("Starting the Worker");
    expect(firstRun.stderr).toContain("Opening a session");
    expect(firstRun.stderr).toContain("Stopped");
  });

  it("keeps wrangler's logs in the state folder", async () => {
    const logDir = wranglerLogDir(join(clone, ".r2-skills", "worker"));
    const logs = await readdir(logDir);
    expect(
      logs.some((name) => /^wrangler-.*\.log$/.test(name)),
      logs.join(", "),
    ).toBe(true);
    await expect(stat(join(configHome, ".wrangler", "logs"))).rejects.toThrow();
  });

  it("shows npm's own errors", async () => {
    const run = await execFileAsync("npm", ["run", "strat"], {
      cwd: clone,
      env: runEnvironment(configHome),
    }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(run?.code).toBe(1);
    expect(run?.stderr).toContain('Missing script: "strat"');
  });

  it("unmounts the session on exit", async () => {
    expect(await listMountPoints()).not.toContain(firstResult.mountPath);
    await expect(stat(firstResult.mountPath)).rejects.toThrow();
  });

  it("writes local.json with mode 0600", async () => {
    const path = join(clone, ".r2-skills", "local.json");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const local = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    for (const key of ["workerUrl", "webhookSecret", "adminToken", "sessionToken", "s3"]) {
      expect(local, key).toHaveProperty(key);
    }
    for (const key of ["endpoint", "bucket", "prefix", "accessKeyId", "secretAccessKey"]) {
      expect(local.s3, key).toHaveProperty(key);
    }
    expect(String(local.webhookSecret)).toMatch(/^whsec_/);
  });

  it(
    "reuses secrets and versions on a second start",
    async () => {
      const path = join(clone, ".r2-skills", "local.json");
      const before = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
      const run = await runNpmStart(clone, configHome);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.endsWith("}\n")).toBe(true);
      expect(run.stdout.trimEnd().split("\n")).toHaveLength(1);
      const result = JSON.parse(run.stdout) as OnceResult;
      expect(result.version).toBe(head);
      expect(result.sessionId).not.toBe(firstResult.sessionId);
      expect(result.files).toEqual(skillFiles);
      expect(run.stderr).toContain("already published with the same files");
      const after = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
      for (const key of ["webhookSecret", "adminToken", "sessionToken", "hostToken"]) {
        expect(after[key], key).toBe(before[key]);
      }
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "republishes on change and cleans up on Ctrl-C",
    async () => {
      const stack = spawnNpmStart(clone, configHome, ["start"]);
      try {
        await pollUntil(
          async () => stack.stderr().includes("Watching"),
          RUN_TIMEOUT_MS,
          () => `npm start never watched; stderr:\n${stack.stderr()}`,
        );
        expect(stack.stdout()).toContain(`Version ${head} is current on channel production`);
        expect(stack.stdout()).toContain("commit-message: Writes and checks git commit messages");
        expect(stack.stdout()).toContain("commit-message/scripts/check-commit-message.sh*");

        await writeFile(
          join(clone, "skills", "api-review", "references", "compatibility.md"),
          "# Changed\n",
        );
        await pollUntil(
          async () => stack.stdout().includes("New sessions get version local-"),
          60_000,
          () => `no republish; stderr:\n${stack.stderr()}`,
        );
        expect(stack.stdout()).toMatch(
          /Published version local-[0-9a-f]+: api-review changed; 1 file\(s\) uploaded/,
        );
        expect(stack.stdout()).toMatch(new RegExp(`keeps version ${head}`));
      } finally {
        stack.interrupt();
      }
      // npm itself may end on the SIGINT, as it does on Ctrl-C; the stack must exit cleanly.
      const exit = await stack.exited;
      expect(exit.code === 0 || exit.signal === "SIGINT", JSON.stringify(exit)).toBe(true);
      await stack.drained;
      expect(stack.stderr()).toContain("Received SIGINT: stopping");
      expect(stack.stderr()).toContain("Stopped");
      const sessions = join(clone, ".r2-skills", "sessions");
      expect((await listMountPoints()).filter((point) => point.startsWith(sessions))).toEqual([]);
      await execFileAsync("git", ["checkout", "--", "skills"], { cwd: clone });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "stops cleanly on Ctrl-C during the start",
    async () => {
      const stack = spawnNpmStart(clone, configHome, [
        "start",
        "--silent",
        "--",
        "--once",
        "--json",
      ]);
      await pollUntil(
        async () => stack.stderr().includes("Starting the Worker in workerd"),
        RUN_TIMEOUT_MS,
        () => `npm start never started the Worker; stderr:\n${stack.stderr()}`,
      );
      stack.interrupt();

      expect((await stack.exited).code).toBe(130);
      await stack.drained;
      expect(stack.stdout()).toBe("");
      expect(stack.stderr()).toContain("Received SIGINT: stopping");
      expect(await exists(join(clone, ".r2-skills", "stack.pid"))).toBe(false);
      const sessions = join(clone, ".r2-skills", "sessions");
      expect((await listMountPoints()).filter((point) => point.startsWith(sessions))).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "names a missing skills folder",
    async () => {
      const run = await runNpmStart(clone, configHome, ["--skills", "no-such-folder"]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(
        `The skills folder "no-such-folder" was not found in ${clone}; create it`,
      );
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "fails on an invalid skill with file and line",
    async () => {
      await writeFile(
        join(clone, "skills", "commit-message", "SKILL.md"),
        "---\nname: Commit Message\ndescription: Broken on purpose.\n---\n\nBody.\n",
      );
      const run = await runNpmStart(clone, configHome);
      expect(run.code).toBe(1);
      expect(ownOutput(run.stdout)).toEqual([]);
      expect(run.stderr).toContain("Publishing skills to channel production failed");
      expect(run.stderr).toContain("skills/commit-message/SKILL.md:2");
      expect(run.stderr).toContain("Stopped");
    },
    RUN_TIMEOUT_MS,
  );
});
