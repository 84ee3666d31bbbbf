import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Problem } from "../../../core/validation.ts";
import { PublishError } from "../../../publisher/errors.ts";
import { publish } from "../../../publisher/publish.ts";
import { hashEntries } from "../../../publisher/source-tree.ts";
import { validateSkills } from "../../../publisher/validate.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

function errorsOf(problems: Problem[]): Problem[] {
  return problems.filter((problem) => problem.severity === "error");
}

function problemAt(problems: Problem[], file: string): Problem | undefined {
  return problems.find((problem) => problem.file === file);
}

async function validate(mode: "commit" | "working-tree") {
  return validateSkills({
    repositoryRoot: h.repo.root,
    skillsPath: "skills",
    mode,
    level: "strict",
  });
}

describe("validateSkills", () => {
  it("reports every problem with file and line", async () => {
    await h.repo.write("skills/good/SKILL.md", skillFile("good"));
    await h.repo.write("skills/nodesc/SKILL.md", "---\nname: nodesc\n---\nBody\n");
    await h.repo.write(
      "skills/mismatch/SKILL.md",
      "---\nname: other-name\ndescription: Something.\n---\nBody\n",
    );
    await h.repo.write(
      "skills/extra/SKILL.md",
      "---\nname: extra\ndescription: Something.\nmodel: opus\n---\nBody\n",
    );
    await h.repo.write("skills/nofront/SKILL.md", "# No frontmatter\n");
    await h.repo.write("skills/empty-folder/notes.md", "no SKILL.md here\n");
    await h.repo.commit({ message: "Add broken skills" });
    const keysBefore = await h.keys();

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("invalid");
    expect(result.notified).toBe(false);
    expect(result.uploaded).toBe(0);
    expect(await h.keys()).toEqual(keysBefore);
    expect(keysBefore).toEqual([]);
    const errors = errorsOf(result.problems);
    expect(problemAt(errors, "skills/nodesc/SKILL.md")?.message).toContain('"description"');
    expect(problemAt(errors, "skills/nodesc/SKILL.md")?.line).toBe(1);
    expect(problemAt(errors, "skills/mismatch/SKILL.md")?.line).toBe(2);
    expect(problemAt(errors, "skills/mismatch/SKILL.md")?.message).toContain("folder name");
    expect(problemAt(errors, "skills/extra/SKILL.md")?.line).toBe(4);
    expect(problemAt(errors, "skills/extra/SKILL.md")?.message).toContain('"model"');
    expect(problemAt(errors, "skills/nofront/SKILL.md")?.line).toBe(1);
    expect(problemAt(errors, "skills/empty-folder")?.message).toContain("no SKILL.md");
    expect(errors).toHaveLength(5);
    expect(problemAt(result.problems, "skills/good/SKILL.md")).toBeUndefined();
  });

  it("accepts Claude Code fields at that level", async () => {
    await h.repo.write(
      "skills/extra/SKILL.md",
      "---\nname: extra\ndescription: Something.\nmodel: opus\n---\nBody\n",
    );
    await h.repo.commit();
    const result = await validateSkills({
      repositoryRoot: h.repo.root,
      skillsPath: "skills",
      mode: "commit",
      level: "claude-code",
    });
    expect(errorsOf(result.problems)).toEqual([]);
    expect(result.skills).toEqual([{ name: "extra", description: "Something." }]);
  });

  it("reports an empty skills folder", async () => {
    await h.repo.write("README.md", "nothing\n");
    await h.repo.commit();
    const result = await validate("commit");
    expect(errorsOf(result.problems)[0]?.message).toContain("No skills found");
  });

  it("rejects a folder that is not a repository", async () => {
    const folder = await mkdtemp(join(tmpdir(), "r2-skills-plain-"));
    try {
      await expect(
        validateSkills({
          repositoryRoot: folder,
          skillsPath: "skills",
          mode: "commit",
          level: "strict",
        }),
      ).rejects.toSatisfy(
        (error: unknown) =>
          error instanceof PublishError &&
          error.code === "git" &&
          error.message.includes("not a git work tree"),
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("rejects an unsafe skills path", async () => {
    await expect(
      validateSkills({
        repositoryRoot: h.repo.root,
        skillsPath: "../x",
        mode: "commit",
        level: "strict",
      }),
    ).rejects.toSatisfy(
      (error: unknown) => error instanceof PublishError && error.code === "invalid-settings",
    );
  });

  it("reads a nested skills path", async () => {
    await h.repo.write("tools/agent skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("tools/other/notes.md", "outside the skills path\n");
    await h.repo.commit();

    for (const mode of ["commit", "working-tree"] as const) {
      const result = await validateSkills({
        repositoryRoot: h.repo.root,
        skillsPath: "/tools/agent skills/",
        mode,
        level: "strict",
      });
      expect(
        result.entries.map((entry) => entry.path),
        mode,
      ).toEqual(["pdf/SKILL.md"]);
      expect(
        result.skills.map((skill) => skill.name),
        mode,
      ).toEqual(["pdf"]);
      expect(result.problems, mode).toEqual([]);
    }
  });

  it("lists the given commit, not a newer HEAD", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    const first = await h.repo.commit({ message: "First" });
    await h.repo.write("skills/xlsx/SKILL.md", skillFile("xlsx"));
    await h.repo.commit({ message: "Second" });

    const result = await validateSkills({
      repositoryRoot: h.repo.root,
      skillsPath: "skills",
      mode: "commit",
      level: "strict",
      commit: first,
    });

    expect(result.entries.map((entry) => entry.path)).toEqual(["pdf/SKILL.md"]);
    expect(result.skills.map((skill) => skill.name)).toEqual(["pdf"]);
  });

  it("treats the skills path literally", async () => {
    await h.repo.write("sk*lls/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/xlsx/SKILL.md", skillFile("xlsx"));
    await h.repo.commit();

    for (const mode of ["commit", "working-tree"] as const) {
      const result = await validateSkills({
        repositoryRoot: h.repo.root,
        skillsPath: "sk*lls",
        mode,
        level: "strict",
      });
      expect(
        result.skills.map((skill) => skill.name),
        mode,
      ).toEqual(["pdf"]);
    }
  });

  it("reads skills at the repository root", async () => {
    await h.repo.write("pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("README.md", "not in a skill\n");
    await h.repo.commit();

    for (const mode of ["commit", "working-tree"] as const) {
      for (const skillsPath of ["", ".", "/"]) {
        const result = await validateSkills({
          repositoryRoot: h.repo.root,
          skillsPath,
          mode,
          level: "strict",
        });
        expect(
          result.entries.map((entry) => entry.path),
          `${mode} ${skillsPath}`,
        ).toEqual(["pdf/SKILL.md"]);
        expect(errorsOf(result.problems), `${mode} ${skillsPath}`).toEqual([]);
        expect(problemAt(result.problems, "README.md")?.severity).toBe("warning");
      }
    }
  });
});

describe("validateSkills symlinks", () => {
  async function writeLinks(): Promise<void> {
    await h.repo.write("README.md", "outside\n");
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/references/guide.md", "# Guide\n");
    await h.repo.write("skills/pdf/scripts/tool.sh", "#!/bin/sh\n", 0o755);
    await h.repo.write("skills/xlsx/SKILL.md", skillFile("xlsx"));
    await h.repo.symlink("skills/pdf/link.md", "references/guide.md");
    await h.repo.symlink("skills/pdf/chain.md", "link.md");
    await h.repo.symlink("skills/pdf/tool", "scripts/tool.sh");
    await h.repo.symlink("skills/pdf/shared.md", "../xlsx/SKILL.md");
    await h.repo.symlink("skills/pdf/outside.md", "../../README.md");
    await h.repo.symlink("skills/pdf/absolute.md", "/etc/hostname");
    await h.repo.symlink("skills/pdf/dangling.md", "missing.md");
    await h.repo.symlink("skills/pdf/folder", "references");
    await h.repo.symlink("skills/pdf/loop-a", "loop-b");
    await h.repo.symlink("skills/pdf/loop-b", "loop-a");
  }

  for (const mode of ["commit", "working-tree"] as const) {
    it(`resolves links inside and rejects others (${mode})`, async () => {
      await writeLinks();
      await h.repo.commit({ message: "Add links" });

      const result = await validate(mode);

      const files = await hashEntries(result.entries);
      const byPath = new Map(files.map((file) => [file.path, file]));
      const guide = byPath.get("pdf/references/guide.md");
      expect(byPath.get("pdf/link.md")?.sha256).toBe(guide?.sha256);
      expect(byPath.get("pdf/chain.md")?.sha256).toBe(guide?.sha256);
      expect(byPath.get("pdf/shared.md")?.sha256).toBe(byPath.get("xlsx/SKILL.md")?.sha256);
      expect(byPath.get("pdf/tool")?.mode).toBe(0o100755);
      expect(Buffer.from((await byPath.get("pdf/link.md")?.read()) ?? []).toString()).toBe(
        "# Guide\n",
      );
      const errors = errorsOf(result.problems);
      const reasons: Record<string, string> = {
        "skills/pdf/outside.md": "outside the skills folder",
        "skills/pdf/absolute.md": "absolute path",
        "skills/pdf/dangling.md": "does not exist",
        "skills/pdf/folder": "is a folder",
        "skills/pdf/loop-a": "loop",
        "skills/pdf/loop-b": "loop",
      };
      for (const [file, reason] of Object.entries(reasons)) {
        expect(problemAt(errors, file)?.message, file).toContain(reason);
      }
      expect(errors).toHaveLength(Object.keys(reasons).length);
      for (const file of Object.keys(reasons)) {
        expect(byPath.has(file.slice("skills/".length)), file).toBe(false);
      }
    });
  }

  it("publishes a link as a regular file", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/references/guide.md", "# Guide\n");
    await h.repo.symlink("skills/pdf/link.md", "references/guide.md");
    const sha = await h.repo.commit();

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    const stored = await h.object(`versions/${sha}/pdf/link.md`);
    expect(stored.bytes.toString()).toBe("# Guide\n");
    expect(stored.metadata.mode).toBe("33188");
  });

  it("rejects a submodule", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    const base = await h.repo.commit();
    await h.repo.git("update-index", "--add", "--cacheinfo", `160000,${base},skills/pdf/vendor`);
    await h.repo.git(
      "-c",
      "user.name=Ada",
      "-c",
      "user.email=ada@example.com",
      "commit",
      "--quiet",
      "-m",
      "Add a submodule",
    );

    for (const mode of ["commit", "working-tree"] as const) {
      const result = await validate(mode);
      expect(problemAt(errorsOf(result.problems), "skills/pdf/vendor")?.message, mode).toContain(
        "submodule",
      );
    }
  });

  it("rejects a nested repository", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.commit();
    await h.repo.write("skills/pdf/vendor/file.md", "nested\n");
    await h.repo.write("skills/pdf/vendor/.git/HEAD", "ref: refs/heads/main\n");
    await h.repo.write("skills/pdf/vendor/.git/config", "[core]\n");
    await h.repo.write("skills/pdf/vendor/.git/objects/.keep", "");
    await h.repo.write("skills/pdf/vendor/.git/refs/heads/.keep", "");

    const result = await validate("working-tree");

    expect(problemAt(errorsOf(result.problems), "skills/pdf/vendor")?.message).toContain(
      "nested git repository",
    );
  });
});
