import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PublishError } from "../../../publisher/errors.ts";
import { listCommitEntries, readBlobs, readCommit, runGit } from "../../../publisher/git.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";

let repo: GitRepo;
beforeEach(async () => {
  repo = await createGitRepo();
});
afterEach(async () => {
  await repo.close();
});

describe("git", () => {
  it("reads a commit message byte for byte", async () => {
    const message = "Subject ✨\n\nBody\n\n\n";
    const sha = await repo.commit({ message, date: "2026-03-04T05:06:07+02:00" });

    const commit = await readCommit(repo.root, sha);

    expect(commit.message).toBe(message);
    expect(commit.timestamp).toBe("2026-03-04T05:06:07+02:00");
    expect(commit.author).toEqual({ name: "Ada Lovelace", email: "ada@example.com" });
  });

  it("streams large and empty blobs in order", async () => {
    const large = Buffer.alloc(3 * 1024 * 1024 + 17, 0x61);
    large[large.length - 1] = 0x0a;
    await repo.write("skills/a/large.bin", large);
    await repo.write("skills/a/empty.txt", "");
    await repo.write("skills/a/newline.txt", "\n");
    await repo.commit();
    const entries = await listCommitEntries(repo.root, "skills");
    const oids = entries.map((entry) => entry.oid);
    const seen: [string, number][] = [];

    await readBlobs(repo.root, oids, (oid, bytes) => seen.push([oid, bytes.length]));

    const sizes = new Map(entries.map((entry) => [entry.path, entry.oid]));
    expect(seen).toEqual([
      [sizes.get("skills/a/empty.txt"), 0],
      [sizes.get("skills/a/large.bin"), large.length],
      [sizes.get("skills/a/newline.txt"), 1],
    ]);
  });

  it("reports a missing object", async () => {
    await repo.write("skills/a/x.txt", "x");
    await repo.commit();
    await expect(readBlobs(repo.root, ["0".repeat(40)], () => {})).rejects.toSatisfy(
      (error: unknown) => error instanceof PublishError && error.message.includes("missing"),
    );
  });

  it("names git in a failed command", async () => {
    await expect(runGit(repo.root, ["rev-parse", "--verify", "nope"])).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof PublishError && error.message.startsWith("git rev-parse failed"),
    );
  });

  it("reports git missing from PATH", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      const failures = await Promise.allSettled([
        runGit(repo.root, ["status"]),
        readBlobs(repo.root, ["0".repeat(40)], () => {}),
      ]);
      for (const failure of failures) {
        expect(failure.status).toBe("rejected");
        if (failure.status === "rejected") {
          expect(failure.reason).toBeInstanceOf(PublishError);
          expect(String(failure.reason.message)).toContain("git was not found on PATH");
        }
      }
    } finally {
      process.env.PATH = path;
    }
  });
});
