import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PublishError } from "../../../publisher/errors.ts";
import {
  collectCommitTree,
  collectWorkingTree,
  hashEntries,
} from "../../../publisher/source-tree.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";

const execFileAsync = promisify(execFile);

let repo: GitRepo;
beforeEach(async () => {
  repo = await createGitRepo();
});
afterEach(async () => {
  await repo.close();
});

describe("collectWorkingTree", () => {
  it("rejects a file changed after hashing", async () => {
    await repo.write("skills/pdf/SKILL.md", "first\n");
    const tree = await collectWorkingTree(repo.root, "skills");
    const [file] = await hashEntries(tree.entries);
    if (file === undefined) throw new Error("no file collected");
    await repo.write("skills/pdf/SKILL.md", "second\n");

    await expect(file.read()).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof PublishError &&
        error.code === "source-changed" &&
        error.message.includes("skills/pdf/SKILL.md"),
    );
  });

  it("rejects a FIFO in place of a tracked file", async () => {
    // Git lists no untracked FIFOs, but a tracked path can become one on disk.
    await repo.write("skills/pdf/SKILL.md", "x\n");
    await repo.write("skills/pdf/pipe", "was a file\n");
    await repo.commit();
    await repo.remove("skills/pdf/pipe");
    await execFileAsync("mkfifo", [join(repo.root, "skills/pdf/pipe")]);

    const tree = await collectWorkingTree(repo.root, "skills");

    expect(tree.entries.map((entry) => entry.path)).toEqual(["pdf/SKILL.md"]);
    expect(tree.problems.map((problem) => problem.file)).toEqual(["skills/pdf/pipe"]);
    expect(tree.problems[0]?.message).toContain("not a regular file");
  });

  it.skipIf(process.getuid?.() === 0)("names an unreadable file", async () => {
    await repo.write("skills/pdf/SKILL.md", "x\n");
    await repo.write("skills/pdf/secret.md", "x\n", 0o000);

    const tree = await collectWorkingTree(repo.root, "skills");

    await expect(hashEntries(tree.entries)).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof PublishError &&
        error.code === "source-unreadable" &&
        error.message.includes("skills/pdf/secret.md"),
    );
  });

  it("keeps a conflicted path once", async () => {
    await repo.write("skills/pdf/SKILL.md", "base\n");
    await repo.commit();
    await repo.git("checkout", "--quiet", "-b", "side");
    await repo.write("skills/pdf/SKILL.md", "side\n");
    await repo.commit({ message: "Side" });
    await repo.git("checkout", "--quiet", "main");
    await repo.write("skills/pdf/SKILL.md", "main\n");
    await repo.commit({ message: "Main" });
    await repo
      .git("-c", "user.name=Ada", "-c", "user.email=ada@example.com", "merge", "--quiet", "side")
      .catch(() => undefined);
    expect(await repo.git("ls-files", "-s", "--", "skills/pdf/SKILL.md")).toMatch(/ 3\t/);

    const tree = await collectWorkingTree(repo.root, "skills");

    expect(tree.entries.map((entry) => entry.path)).toEqual(["pdf/SKILL.md"]);
  });
});

describe("source trees", () => {
  it("reject a name that is not UTF-8", async () => {
    await repo.write("skills/pdf/SKILL.md", "x\n");
    const latin1 = Buffer.concat([
      Buffer.from(`${repo.root}/skills/pdf/caf`),
      Buffer.from([0xe9]),
      Buffer.from(".md"),
    ]);
    await writeFile(latin1, "latin-1 name\n");
    await repo.commit();

    for (const collect of [collectCommitTree, collectWorkingTree]) {
      const tree = await collect(repo.root, "skills");

      expect(
        tree.entries.map((entry) => entry.path),
        collect.name,
      ).toEqual(["pdf/SKILL.md"]);
      expect(tree.problems, collect.name).toHaveLength(1);
      expect(tree.problems[0]?.message, collect.name).toContain("not valid UTF-8");
    }
  });
});
