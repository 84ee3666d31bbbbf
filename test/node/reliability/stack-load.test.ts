import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectS3fs, type MountMode } from "../../../local/mount.ts";
import type { PublishResult } from "../../../publisher/types.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { auditBucket } from "./bucket-audit.ts";
import { tryPublish, writeSkills } from "./fixtures.ts";
import { LONG, runs } from "./runs.ts";
import { recordScenario } from "./scenario-log.ts";
import {
  adminGet,
  type ChannelView,
  type ReliabilityStack,
  stackPublishSettings,
  startReliabilityStack,
} from "./stack-fixtures.ts";

const s3fs = await detectS3fs();

/** A repository with `count` commits a day apart, each checked out in its own worktree. */
async function commitsInWorktrees(
  repo: GitRepo,
  count: number,
  seedBase: number,
): Promise<{ sha: string; root: string }[]> {
  const commits: { sha: string; root: string }[] = [];
  for (let index = 0; index < count; index++) {
    await writeSkills(repo, seedBase + index, 2);
    const date = new Date(Date.UTC(2026, 2, 1 + index)).toISOString();
    const sha = await repo.commit({ message: `Version ${index}`, date });
    const root = `${repo.root}-worktree-${seedBase}-${index}`;
    await repo.git("worktree", "add", "--quiet", "--detach", root, sha);
    commits.push({ sha, root });
  }
  return commits;
}

async function listTree(root: string, relative = ""): Promise<string[]> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listTree(root, path)));
    else files.push(path);
  }
  return files.sort();
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

/** Runs `work` for every index with at most `limit` running at once. */
async function pool(
  count: number,
  limit: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

interface SessionOutcome {
  sessionId: string;
  version: string;
  status: number;
  latencyMs: number;
}

interface LoadRound {
  mode: MountMode;
  sessions: number;
  concurrency: number;
  versions: number;
}

async function runLoad(target: ReliabilityStack, repo: GitRepo, round: LoadRound) {
  const channel = `load-${round.mode}`;
  const commits = await commitsInWorktrees(
    repo,
    round.versions + 1,
    round.mode === "copy" ? 300 : 400,
  );
  const [initial, ...later] = commits;
  if (initial === undefined) throw new Error("no commits");
  const first = await tryPublish(stackPublishSettings(target, initial.root, channel));
  if (!first.ok) throw first.error;

  const outcomes: SessionOutcome[] = [];
  const failures: string[] = [];
  const published: PublishResult[] = [first.result];
  let sessionsDone = false;
  const startedAt = performance.now();

  // New versions arrive back to back while the sessions start.
  const publishing = (async () => {
    for (const commit of later) {
      if (sessionsDone) break;
      const outcome = await tryPublish(stackPublishSettings(target, commit.root, channel));
      if (!outcome.ok) throw outcome.error;
      published.push(outcome.result);
    }
  })();

  await pool(round.sessions, round.concurrency, async () => {
    const began = performance.now();
    const response = await fetch(`${target.stack.worker.url}/sessions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${target.stack.local.sessionToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ channel }),
    });
    const latencyMs = performance.now() - began;
    const reply = (await response.json()) as { sessionId?: string; version?: string };
    if (response.status !== 201 || reply.sessionId === undefined || reply.version === undefined) {
      failures.push(`${response.status}: ${JSON.stringify(reply).slice(0, 300)}`);
      return;
    }
    outcomes.push({
      sessionId: reply.sessionId,
      version: reply.version,
      status: response.status,
      latencyMs,
    });
  });
  sessionsDone = true;
  const wallMs = performance.now() - startedAt;
  await publishing;

  expect(failures).toEqual([]);
  expect(outcomes.length).toBe(round.sessions);

  // Every version is complete, and every notification was applied once, in order.
  const audit = await auditBucket(target.s3, target.root);
  expect(audit.problems).toEqual([]);
  for (const result of published) expect(audit.complete).toContain(result.version);
  for (const result of published) expect(result.notified).toBe(true);
  const detail = await adminGet<ChannelView>(target, `/channels/${channel}`);
  const publishedVersions = published.map((result) => result.version);
  expect(detail?.version).toBe(publishedVersions.at(-1));
  expect(detail?.history.map((change) => change.version)).toEqual([...publishedVersions].reverse());

  // Every session has exactly one mount, of the version the Worker returned, with every file intact.
  const ids = new Set(outcomes.map((outcome) => outcome.sessionId));
  expect(ids.size).toBe(round.sessions);
  const mountLines = target.logger.lines.filter((line) =>
    line.message.startsWith("Mounted version "),
  );
  const versionsSeen = new Map<string, number>();
  for (const outcome of outcomes) {
    const mounts = mountLines.filter((line) =>
      line.message.endsWith(` for session ${outcome.sessionId}`),
    );
    expect(mounts.length, outcome.sessionId).toBe(1);
    const status = target.stack.host.sessions.status(outcome.sessionId);
    expect(status?.mount?.version).toBe(outcome.version);
    expect(status?.mount?.mode).toBe(round.mode);
    const manifest = audit.manifests.get(outcome.version);
    if (manifest === undefined || status?.mount == null)
      throw new Error(`no manifest for ${outcome.version}`);
    const mountPath = status.mount.path;
    expect(await listTree(mountPath)).toEqual(manifest.files.map((file) => file.path).sort());
    for (const file of manifest.files) {
      const bytes = await readFile(join(mountPath, file.path));
      expect(createHash("sha256").update(bytes).digest("hex"), file.path).toBe(file.sha256);
    }
    versionsSeen.set(outcome.version, (versionsSeen.get(outcome.version) ?? 0) + 1);
  }

  const latencies = outcomes.map((outcome) => outcome.latencyMs).sort((a, b) => a - b);
  const figures = {
    long: LONG,
    mode: round.mode,
    sessions: round.sessions,
    concurrency: round.concurrency,
    versionsPublished: published.length,
    versionsMounted: versionsSeen.size,
    wallMs: Math.round(wallMs),
    sessionsPerSecond: Number(((round.sessions * 1000) / wallMs).toFixed(1)),
    p50Ms: Math.round(percentile(latencies, 0.5)),
    p95Ms: Math.round(percentile(latencies, 0.95)),
    p99Ms: Math.round(percentile(latencies, 0.99)),
    maxMs: Math.round(latencies.at(-1) ?? 0),
  };
  recordScenario("session-load", figures);
  return figures;
}

describe("session load in copy mode", () => {
  let repo: GitRepo;
  let target: ReliabilityStack;

  beforeAll(async () => {
    repo = await createGitRepo();
    await writeSkills(repo, 1, 1);
    await repo.commit({ message: "Start" });
    target = await startReliabilityStack(repo.root, "copy");
  }, 180_000);

  afterAll(async () => {
    await target?.close();
    await repo?.close();
  });

  it(
    "mounts each session once while versions arrive",
    async () => {
      await runLoad(target, repo, {
        mode: "copy",
        sessions: runs(64, 200),
        concurrency: 32,
        versions: runs(3, 6),
      });
    },
    runs(240_000, 900_000),
  );

  it(
    "ends concurrent publishes on the newest commit",
    async () => {
      const channel = "concurrent";
      const commits = await commitsInWorktrees(repo, runs(5, 12), 500);
      // Published in reverse order at once, so older commits tend to finish last.
      const outcomes = await Promise.all(
        [...commits]
          .reverse()
          .map((commit) => tryPublish(stackPublishSettings(target, commit.root, channel))),
      );
      for (const outcome of outcomes) {
        if (!outcome.ok) throw outcome.error;
        expect(outcome.result.notified).toBe(true);
      }
      const audit = await auditBucket(target.s3, target.root);
      expect(audit.problems).toEqual([]);
      for (const commit of commits) expect(audit.complete).toContain(commit.sha);
      const detail = await adminGet<ChannelView>(target, `/channels/${channel}`);
      expect(detail?.version).toBe(commits.at(-1)?.sha);
      // NOTE: a publish keeps a head that names a newer commit, but two
      // publishes that finish at the same moment can still leave the older
      // one; the head only picks the next base, so this is recorded, not asserted.
      recordScenario("concurrent-publish", {
        long: LONG,
        publishes: commits.length,
        current: detail?.version === commits.at(-1)?.sha,
        bucketHeadIsNewest: audit.heads.get(channel) === commits.at(-1)?.sha,
      });
    },
    runs(120_000, 600_000),
  );
});

describe.skipIf(!s3fs.available)("session load in s3fs mode", () => {
  let repo: GitRepo;
  let target: ReliabilityStack;

  beforeAll(async () => {
    repo = await createGitRepo();
    await writeSkills(repo, 2, 1);
    await repo.commit({ message: "Start" });
    target = await startReliabilityStack(repo.root, "s3fs");
  }, 180_000);

  afterAll(async () => {
    await target?.close();
    await repo?.close();
  });

  it(
    "mounts each session once while versions arrive",
    async () => {
      await runLoad(target, repo, {
        mode: "s3fs",
        sessions: runs(16, 40),
        concurrency: 8,
        versions: 2,
      });
    },
    runs(240_000, 900_000),
  );
});
