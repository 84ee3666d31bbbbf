import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestKey } from "../../../core/keys.ts";
import type { PublishSettings } from "../../../publisher/types.ts";
import type { GitRepo } from "../support/git-repo.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";
import { auditBucket, cleanClient, readObject } from "./bucket-audit.ts";
import { publishSettings, seededRandom, seededRepository, tryPublish } from "./fixtures.ts";
import { LONG, runs, seeds } from "./runs.ts";
import { recordScenario } from "./scenario-log.ts";

const TSX = resolve("node_modules/.bin/tsx");
const CHILD = resolve("test/node/reliability/publish-child.ts");

let s3: S3Server;
let repo: GitRepo;
let sha: string;
let referenceManifestSha256: string;

async function manifestDigest(prefix: string): Promise<string | undefined> {
  const client = cleanClient(s3);
  try {
    const bytes = await readObject(client, s3.bucket, manifestKey(prefix, sha));
    return bytes === undefined ? undefined : createHash("sha256").update(bytes).digest("hex");
  } finally {
    client.destroy();
  }
}

function startChild(settings: PublishSettings): {
  child: ChildProcess;
  started: Promise<void>;
  exited: Promise<number | null>;
} {
  const child = spawn(TSX, [CHILD], { stdio: ["pipe", "pipe", "pipe"] });
  child.stdin?.end(JSON.stringify(settings));
  let output = "";
  const started = new Promise<void>((done, fail) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("started\n")) done();
    });
    child.on("exit", () => fail(new Error(`publish child exited before starting: ${output}`)));
  });
  started.catch(() => undefined);
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, started, exited };
}

beforeAll(async () => {
  s3 = await startS3Server();
  const seeded = await seededRepository(21, 8);
  repo = seeded.repo;
  sha = seeded.sha;
  const outcome = await tryPublish(
    publishSettings({ repositoryRoot: repo.root, s3, prefix: "reference/" }),
  );
  if (!outcome.ok) throw outcome.error;
  const digest = await manifestDigest("reference/");
  if (digest === undefined) throw new Error("the reference publish wrote no manifest");
  referenceManifestSha256 = digest;
});

afterAll(async () => {
  await repo?.close();
  await s3?.close();
});

describe("publish killed at random points", () => {
  it(
    "re-runs to an identical version",
    async () => {
      // One uninterrupted child run measures how long a publish takes here.
      const timed = startChild(
        publishSettings({ repositoryRoot: repo.root, s3, prefix: "timed/", concurrency: 2 }),
      );
      await timed.started;
      const startedAt = Date.now();
      expect(await timed.exited).toBe(0);
      const duration = Date.now() - startedAt;

      const totals = {
        runs: 0,
        killed: 0,
        finishedBeforeKill: 0,
        manifestBeforeKill: 0,
        durationMs: duration,
      };
      for (const seed of seeds(runs(5, 40))) {
        const prefix = `killed-${seed}/`;
        const settings = publishSettings({ repositoryRoot: repo.root, s3, prefix, concurrency: 2 });
        const killAfter = Math.floor(seededRandom(seed)() * duration * 1.1);
        const run = startChild(settings);
        await run.started;
        await new Promise((done) => setTimeout(done, killAfter));
        const killed = run.child.kill("SIGKILL");
        const code = await run.exited;
        totals.runs += 1;
        if (code === 0) totals.finishedBeforeKill += 1;
        else if (killed) totals.killed += 1;

        // Whatever the kill left, no manifest may point at a missing or wrong object.
        const after = await auditBucket(s3, prefix);
        expect(after.problems, `seed ${seed} after a kill at ${killAfter} ms`).toEqual([]);
        if (after.manifests.has(sha)) totals.manifestBeforeKill += 1;

        const rerun = await tryPublish(settings);
        const failure = rerun.ok ? "" : String(rerun.error);
        expect(failure, `re-run of seed ${seed} after a kill at ${killAfter} ms`).toBe("");
        const final = await auditBucket(s3, prefix);
        expect(final.problems).toEqual([]);
        expect(final.complete).toEqual([sha]);
        expect(final.heads.get("production")).toBe(sha);
        expect(await manifestDigest(prefix)).toBe(referenceManifestSha256);
      }
      expect(totals.killed).toBeGreaterThan(0);
      recordScenario("publish-killed", { long: LONG, ...totals });
    },
    runs(240_000, 1_200_000),
  );
});
