import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestKey } from "../../../core/keys.ts";
import { type Manifest, sameContent } from "../../../core/manifest.ts";
import { PublishError } from "../../../publisher/errors.ts";
import { type FaultKind, type FaultRates, startFaultProxy } from "../support/fault-proxy.ts";
import type { GitRepo } from "../support/git-repo.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";
import { auditBucket } from "./bucket-audit.ts";
import { publishSettings, seededRepository, tryPublish, writeSkills } from "./fixtures.ts";
import { LONG, runs, seeds } from "./runs.ts";
import { recordScenario } from "./scenario-log.ts";

const FAULTS: FaultKind[] = [
  "error500",
  "slowDown503",
  "tooMany429",
  "hang",
  "dropBefore",
  "dropAfter",
];
/** Fault chance per request; the highest makes some publishes fail after every retry. */
const LEVELS = [0.1, 0.3, 0.6];

let s3: S3Server;
let repo: GitRepo;
const commits: string[] = [];
const reference = new Map<string, Manifest>();

function ratesOf(total: number): FaultRates {
  return Object.fromEntries(FAULTS.map((kind) => [kind, total / FAULTS.length]));
}

beforeAll(async () => {
  s3 = await startS3Server();
  const first = await seededRepository(11);
  repo = first.repo;
  commits.push(first.sha);
  // The second commit changes one skill, removes a file and adds a skill, so
  // its publish copies unchanged files from the first version.
  await writeSkills(repo, 12, 1);
  await repo.remove("skills/skill-2/assets/empty.txt");
  await repo.write(
    "skills/skill-3/SKILL.md",
    "---\nname: skill-3\ndescription: Added later.\n---\nBody\n",
  );
  commits.push(await repo.commit({ message: "Change skills" }));
  for (const sha of commits) {
    await repo.git("checkout", "--quiet", sha);
    const outcome = await tryPublish(
      publishSettings({ repositoryRoot: repo.root, s3, prefix: "reference/" }),
    );
    if (!outcome.ok) throw outcome.error;
  }
  const audit = await auditBucket(s3, "reference/");
  expect(audit.problems).toEqual([]);
  for (const [version, manifest] of audit.manifests) reference.set(version, manifest);
});

afterAll(async () => {
  await repo?.close();
  await s3?.close();
});

describe("publish through injected faults", () => {
  it(
    "leaves only complete versions",
    async () => {
      const totals = { publishes: 0, completed: 0, failed: 0, failedWithManifest: 0, requests: 0 };
      const faults: Record<string, number> = {};
      const runSeeds = seeds(runs(6, 60));
      for (const [index, seed] of runSeeds.entries()) {
        const level = LEVELS[index % LEVELS.length] ?? 0.1;
        const proxy = await startFaultProxy({ target: s3.endpoint, seed, rates: ratesOf(level) });
        const prefix = `faults-${seed}/`;
        try {
          for (const sha of commits) {
            await repo.git("checkout", "--quiet", sha);
            const settings = publishSettings({
              repositoryRoot: repo.root,
              s3,
              endpoint: proxy.url,
              prefix,
              requestTimeoutMs: 2000,
            });
            const outcome = await tryPublish(settings);
            totals.publishes += 1;
            const audit = await auditBucket(s3, prefix);
            expect(audit.problems, `seed ${seed}, commit ${sha}`).toEqual([]);
            const written = audit.manifests.get(sha);
            if (outcome.ok) {
              totals.completed += 1;
              expect(outcome.result.outcome).toBe("published");
              expect(written).toBeDefined();
              expect(audit.heads.get("production")).toBe(sha);
            } else {
              totals.failed += 1;
              expect(outcome.error).toBeInstanceOf(PublishError);
              const message = (outcome.error as Error).message;
              expect(message).toMatch(/failed/);
              // A cut response can hide a manifest write that did happen; it
              // is then complete, which the audit above checked.
              if (written !== undefined) totals.failedWithManifest += 1;
            }
            if (written !== undefined) {
              const expected = reference.get(sha);
              expect(expected).toBeDefined();
              if (expected !== undefined) expect(sameContent(written, expected)).toBe(true);
            }
          }
        } finally {
          await proxy.close();
        }
        totals.requests += proxy.stats.requests;
        for (const [kind, count] of Object.entries(proxy.stats.faults)) {
          faults[kind] = (faults[kind] ?? 0) + count;
        }
        // A clean re-run completes whatever the faults left unfinished.
        for (const sha of commits) {
          await repo.git("checkout", "--quiet", sha);
          const rerun = await tryPublish(
            publishSettings({ repositoryRoot: repo.root, s3, prefix }),
          );
          expect(rerun.ok, `re-run of seed ${seed}, commit ${sha}`).toBe(true);
        }
        const final = await auditBucket(s3, prefix);
        expect(final.problems).toEqual([]);
        for (const sha of commits) expect(final.complete).toContain(sha);
        for (const sha of commits) {
          const written = final.manifests.get(sha);
          const expected = reference.get(sha);
          if (written === undefined || expected === undefined)
            throw new Error(`missing manifest ${sha}`);
          expect(sameContent(written, expected)).toBe(true);
          expect(manifestKey(prefix, sha)).toBe(`${prefix}manifests/${sha}.json`);
        }
      }
      // Some publishes must have failed and some completed, or the levels test nothing.
      expect(totals.completed).toBeGreaterThan(0);
      expect(totals.failed).toBeGreaterThan(0);
      recordScenario("publish-faults", { long: LONG, seeds: runSeeds.length, ...totals, faults });
    },
    runs(300_000, 1_800_000),
  );
});
