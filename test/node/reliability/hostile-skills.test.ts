import { mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectKey } from "../../../core/keys.ts";
import type { PublishResult } from "../../../publisher/types.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";
import { auditBucket, cleanClient, listKeys, readObject } from "./bucket-audit.ts";
import { publishSettings, skillFile, tryPublish } from "./fixtures.ts";
import { recordScenario } from "./scenario-log.ts";

/** Content that must never reach the bucket: it lives outside the skills folder. */
const SECRET = "outside-secret-7f3a9c";

let s3: S3Server;
let outside: string;
let prefixIndex = 0;
const tally = { cases: 0, published: 0, rejected: 0 };

beforeAll(async () => {
  s3 = await startS3Server();
  outside = await mkdtemp(join(tmpdir(), "r2-skills-outside-"));
  await writeFile(join(outside, "secret.txt"), SECRET);
});

afterAll(async () => {
  recordScenario("hostile-skills", tally);
  await rm(outside, { recursive: true, force: true });
  await s3.close();
});

type Mode = "commit" | "working-tree";

interface Outcome {
  result?: PublishResult;
  error?: unknown;
  prefix: string;
}

async function publishRepo(repo: GitRepo, mode: Mode): Promise<Outcome> {
  prefixIndex += 1;
  const prefix = `hostile-${prefixIndex}/`;
  const settings = publishSettings({ repositoryRoot: repo.root, s3, prefix });
  settings.source.mode = mode;
  const outcome = await tryPublish(settings);
  tally.cases += 1;
  if (outcome.ok && outcome.result.outcome === "published") tally.published += 1;
  else tally.rejected += 1;
  return outcome.ok ? { result: outcome.result, prefix } : { error: outcome.error, prefix };
}

/** Reads every object under `prefix` and checks that none carries the outside secret. */
async function expectNoSecret(prefix: string): Promise<void> {
  const client = cleanClient(s3);
  try {
    for (const key of await listKeys(client, s3.bucket, prefix)) {
      const bytes = await readObject(client, s3.bucket, key);
      expect(Buffer.from(bytes ?? []).toString("latin1"), key).not.toContain(SECRET);
    }
  } finally {
    client.destroy();
  }
}

function expectRejected(outcome: Outcome, file: string, reason: RegExp): void {
  expect(
    outcome.result?.outcome,
    JSON.stringify(outcome.result?.problems ?? String(outcome.error)),
  ).toBe("invalid");
  const problems = outcome.result?.problems.filter((problem) => problem.severity === "error") ?? [];
  const match = problems.find((problem) => problem.file === file && reason.test(problem.message));
  expect(match, JSON.stringify(problems)).toBeDefined();
}

async function expectPublished(outcome: Outcome, repo: GitRepo, files: string[]): Promise<void> {
  expect(outcome.error).toBeUndefined();
  expect(outcome.result?.outcome).toBe("published");
  const audit = await auditBucket(s3, outcome.prefix);
  expect(audit.problems).toEqual([]);
  const version = outcome.result?.version ?? "";
  expect(audit.complete).toEqual([version]);
  const client = cleanClient(s3);
  try {
    for (const file of files) {
      const stored = await readObject(client, s3.bucket, objectKey(outcome.prefix, version, file));
      const local = await readFile(join(repo.root, "skills", file));
      expect(stored === undefined ? undefined : Buffer.from(stored).equals(local), file).toBe(true);
    }
  } finally {
    client.destroy();
  }
}

async function withRepo(work: (repo: GitRepo) => Promise<void>): Promise<void> {
  const repo = await createGitRepo();
  try {
    await repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await work(repo);
  } finally {
    await repo.close();
  }
}

describe("hostile skills in the repository", () => {
  for (const mode of ["commit", "working-tree"] as const) {
    describe(`${mode} mode`, () => {
      it("rejects a huge SKILL.md", async () => {
        await withRepo(async (repo) => {
          await repo.write("skills/big/SKILL.md", skillFile("big", "x".repeat(2 * 1024 * 1024)));
          await repo.commit();
          const outcome = await publishRepo(repo, mode);
          expectRejected(outcome, "skills/big/SKILL.md", /over the limit/);
          const client = cleanClient(s3);
          expect(await listKeys(client, s3.bucket, outcome.prefix)).toEqual([]);
          client.destroy();
        });
      });

      it("publishes deep nesting within the key limit", async () => {
        await withRepo(async (repo) => {
          const deep = `pdf/${Array.from({ length: 100 }, (_, i) => `d${i}`).join("/")}/leaf.md`;
          await repo.write(`skills/${deep}`, "deep\n");
          await repo.commit();
          await expectPublished(await publishRepo(repo, mode), repo, ["pdf/SKILL.md", deep]);
        });
      });

      it("rejects nesting past the key limit", async () => {
        await withRepo(async (repo) => {
          const deep = `pdf/${Array.from({ length: 100 }, (_, i) => `folder-${i}`).join("/")}/leaf.md`;
          await repo.write(`skills/${deep}`, "deep\n");
          await repo.commit();
          expectRejected(await publishRepo(repo, mode), `skills/${deep}`, /longer than 900 bytes/);
        });
      });

      it("publishes binary and empty files exactly", async () => {
        await withRepo(async (repo) => {
          const binary = new Uint8Array(70_000);
          for (let i = 0; i < binary.length; i++) binary[i] = (i * 131 + 7) % 256;
          await repo.write("skills/pdf/assets/blob.bin", binary);
          await repo.write("skills/pdf/assets/empty", "");
          await repo.write("skills/pdf/assets/nul.txt", "a\u0000b\r\n\u00ff");
          await repo.commit();
          await expectPublished(await publishRepo(repo, mode), repo, [
            "pdf/assets/blob.bin",
            "pdf/assets/empty",
            "pdf/assets/nul.txt",
          ]);
        });
      });

      it("publishes names that differ only by case", async () => {
        await withRepo(async (repo) => {
          await repo.write("skills/pdf/Notes.md", "upper\n");
          await repo.write("skills/pdf/notes.md", "lower\n");
          await repo.commit();
          const outcome = await publishRepo(repo, mode);
          await expectPublished(outcome, repo, ["pdf/Notes.md", "pdf/notes.md"]);
          const warning = outcome.result?.problems.find((problem) =>
            /only by case/.test(problem.message),
          );
          expect(warning?.severity).toBe("warning");
        });
      });

      it("rejects names that differ only by normalization", async () => {
        await withRepo(async (repo) => {
          await repo.write("skills/pdf/caf\u00e9.md", "composed\n");
          await repo.write("skills/pdf/cafe\u0301.md", "decomposed\n");
          await repo.commit();
          const outcome = await publishRepo(repo, mode);
          expect(outcome.result?.outcome).toBe("invalid");
          const problem = outcome.result?.problems.find((entry) =>
            /Unicode normalization/.test(entry.message),
          );
          expect(problem?.severity).toBe("error");
          expect(problem?.file).toMatch(/^skills\/pdf\/caf/);
        });
      });

      it("publishes names that URL parsers rewrite", async () => {
        await withRepo(async (repo) => {
          const names = [
            "pdf/%2e%2e/x.md",
            "pdf/%2E%2E",
            "pdf/a?b#c.md",
            "pdf/+ plus &.md",
            "pdf/..%2f..%2fx.md",
          ];
          for (const name of names) await repo.write(`skills/${name}`, `${name}\n`);
          await repo.commit();
          await expectPublished(await publishRepo(repo, mode), repo, names);
        });
      });

      it("publishes a symlink inside as its target's bytes", async () => {
        await withRepo(async (repo) => {
          await repo.write("skills/pdf/real.md", "real\n");
          await repo.symlink("skills/pdf/link.md", "real.md");
          await repo.commit();
          const outcome = await publishRepo(repo, mode);
          await expectPublished(outcome, repo, ["pdf/real.md", "pdf/link.md"]);
        });
      });

      const escaping: [string, (repo: GitRepo) => string][] = [
        ["an absolute path outside", () => join(outside, "secret.txt")],
        [
          "a relative path outside the repository",
          (repo) =>
            `${"../".repeat(repo.root.split("/").length + 2)}${outside.slice(1)}/secret.txt`,
        ],
        ["a path in the repository outside the skills folder", () => "../../outside.txt"],
        ["a folder", () => "."],
        ["a dangling target", () => "missing.md"],
        ["itself", () => "loop.md"],
      ];
      for (const [label, targetOf] of escaping) {
        it(`never publishes a symlink to ${label}`, async () => {
          await withRepo(async (repo) => {
            await repo.write("outside.txt", SECRET);
            const name = label === "itself" ? "loop.md" : "leak.md";
            await repo.symlink(`skills/pdf/${name}`, targetOf(repo));
            await repo.commit();
            const outcome = await publishRepo(repo, mode);
            expectRejected(outcome, `skills/pdf/${name}`, /symlink/);
            await expectNoSecret(outcome.prefix);
          });
        });
      }
    });
  }

  it("never publishes a tracked file swapped for a symlink", async () => {
    await withRepo(async (repo) => {
      await repo.write("skills/pdf/notes.md", "tracked\n");
      await repo.commit();
      await unlink(join(repo.root, "skills/pdf/notes.md"));
      await symlink(join(outside, "secret.txt"), join(repo.root, "skills/pdf/notes.md"));
      const outcome = await publishRepo(repo, "working-tree");
      expectRejected(outcome, "skills/pdf/notes.md", /symlink/);
      await expectNoSecret(outcome.prefix);
    });
  });

  it("never publishes through a symlinked skills folder", async () => {
    const repo = await createGitRepo();
    try {
      await writeFile(join(outside, "SKILL.md"), skillFile("outside", SECRET));
      await repo.write("README.md", "root\n");
      await symlink(outside, join(repo.root, "skills"));
      await repo.commit();
      for (const mode of ["commit", "working-tree"] as const) {
        const outcome = await publishRepo(repo, mode);
        expect(outcome.result?.outcome === "published", mode).toBe(false);
        await expectNoSecret(outcome.prefix);
      }
    } finally {
      await repo.close();
    }
  });
});
