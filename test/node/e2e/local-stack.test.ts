/**
 * The whole path on real components: a git repository with skills, the
 * publisher, s3rver, the Worker in workerd, the sandbox host and the mount.
 * Runs in s3fs mode when s3fs and /dev/fuse work here, and in copy mode always.
 */

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/logger.ts";
import { detectS3fs, isMountPoint, listMountPoints, type MountMode } from "../../../local/mount.ts";
import { RESTORE_REASON } from "../../../local/round.ts";
import { type OpenedSession, type Stack, startStack } from "../../../local/stack.ts";
import { listFiles } from "../../../local/tree.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";

const execFileAsync = promisify(execFile);

const s3fs = await detectS3fs();
if (!s3fs.available) console.warn(`s3fs not available: tested copy mode only (${s3fs.reason})`);

function skillFile(name: string, description: string, body: string): string {
  return `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}\n`;
}

const FIRST_TREE: Record<string, { content: string; mode?: number }> = {
  "alpha/SKILL.md": {
    content: skillFile("alpha", "Checks alpha things. Use for alpha.", "Run scripts/run.sh."),
  },
  "alpha/scripts/run.sh": { content: "#!/bin/sh\necho alpha-v1\n", mode: 0o755 },
  "alpha/references/http/errors.md": { content: "# Errors\n" },
  "alpha/references/old-name.md": { content: "# Renamed later\n" },
  "beta/SKILL.md": {
    content: skillFile("beta", "Writes beta notes. Use for beta.", "See notes.md."),
  },
  "beta/notes.md": { content: "Deleted later\n" },
};

const SECOND_FILES = [
  "alpha/SKILL.md",
  "alpha/references/http/errors.md",
  "alpha/references/new-name.md",
  "alpha/scripts/run.sh",
  "beta/SKILL.md",
  "gamma/SKILL.md",
];

function describeMode(mode: MountMode): void {
  const unavailable = mode === "s3fs" && !s3fs.available;
  const title = unavailable
    ? `local stack in s3fs mode (skipped: ${s3fs.available ? "" : s3fs.reason})`
    : `local stack in ${mode} mode`;

  describe.skipIf(unavailable)(title, () => {
    let repo: GitRepo;
    let state: string;
    let stack: Stack;
    let firstSha: string;
    let secondSha: string;
    let first: OpenedSession;
    let second: OpenedSession;

    beforeAll(async () => {
      repo = await createGitRepo();
      state = await mkdtemp(join(tmpdir(), "r2-skills-e2e-"));
      for (const [path, file] of Object.entries(FIRST_TREE)) {
        await repo.write(`skills/${path}`, file.content, file.mode);
      }
      firstSha = await repo.commit({ message: "Add alpha and beta" });
      stack = await startStack({
        repositoryRoot: repo.root,
        skillsPath: "skills",
        stateDir: state,
        channel: "production",
        s3Port: 0,
        workerPort: 0,
        hostPort: 0,
        mount: mode,
        verbose: false,
        logger: silentLogger,
      });
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
      await repo?.close();
      if (state !== undefined) await rm(state, { recursive: true, force: true });
    });

    it("publishes the first commit and mounts it", async () => {
      const result = await stack.publish();
      expect(result.outcome).toBe("published");
      expect(result.version).toBe(firstSha);
      expect(result.notified).toBe(true);
      first = await stack.openSession();
      expect(first.version).toBe(firstSha);
      expect(first.mode).toBe(mode);
      expect(first.mountPath.startsWith(join(state, "sessions"))).toBe(true);
      expect(await listFiles(first.mountPath)).toEqual(Object.keys(FIRST_TREE).sort());
      for (const [path, file] of Object.entries(FIRST_TREE)) {
        expect(await readFile(join(first.mountPath, path), "utf8")).toBe(file.content);
      }
    });

    it("keeps the script executable through the mount", async () => {
      const script = join(first.mountPath, "alpha/scripts/run.sh");
      expect((await stat(script)).mode & 0o111).toBe(0o111);
      expect((await stat(join(first.mountPath, "alpha/SKILL.md"))).mode & 0o111).toBe(0);
      const { stdout } = await execFileAsync(script);
      expect(stdout).toBe("alpha-v1\n");
    });

    // More reads in flight than libuv has pool threads: each read of an s3fs
    // file holds a pool thread until s3fs has fetched it from the bucket.
    it("serves many reads at once", async () => {
      const paths = Object.keys(FIRST_TREE);
      const reads = Array.from({ length: 8 }, () => paths).flat();
      const contents = await Promise.all(
        reads.map((path) => readFile(join(first.mountPath, path), "utf8")),
      );
      expect(contents).toEqual(reads.map((path) => FIRST_TREE[path]?.content));
    });

    it("mounts read-only", async (context) => {
      // Root ignores file modes, so a copy is read-only for root only as a
      // read-only bind mount, which needs CAP_SYS_ADMIN.
      const root = process.getuid?.() === 0;
      if (mode === "copy" && root && !(await isMountPoint(first.mountPath))) {
        console.warn("read-only bind mounts unavailable: root can write to copies here");
        context.skip();
      }
      await expect(
        execFileAsync("sh", ["-c", `echo x > "${join(first.mountPath, "alpha/SKILL.md")}"`]),
      ).rejects.toThrow();
      expect(await readFile(join(first.mountPath, "alpha/SKILL.md"), "utf8")).toBe(
        FIRST_TREE["alpha/SKILL.md"]?.content,
      );
    });

    it("gives a new session the second commit", async () => {
      await repo.write(
        "skills/alpha/SKILL.md",
        skillFile("alpha", "Checks alpha things, second edition.", "Run scripts/run.sh again."),
      );
      await repo.write("skills/alpha/scripts/run.sh", "#!/bin/sh\necho alpha-v2\n", 0o755);
      await repo.remove("skills/alpha/references/old-name.md");
      await repo.write("skills/alpha/references/new-name.md", "# Renamed later\n");
      await repo.remove("skills/beta/notes.md");
      await repo.write(
        "skills/gamma/SKILL.md",
        skillFile("gamma", "Adds gamma. Use for gamma.", "Gamma."),
      );
      secondSha = await repo.commit({
        message: "Change alpha, rename a reference, drop beta notes",
      });

      const result = await stack.publish();
      expect(result.outcome).toBe("published");
      expect(result.version).toBe(secondSha);
      expect(result.base).toBe(firstSha);
      expect(result.removed).toBe(2);
      expect(result.copied).toBeGreaterThanOrEqual(2);
      expect(result.notified).toBe(true);

      second = await stack.openSession();
      expect(second.version).toBe(secondSha);
      expect(second.sessionId).not.toBe(first.sessionId);
      expect(await listFiles(second.mountPath)).toEqual(SECOND_FILES);
      expect(await readFile(join(second.mountPath, "alpha/SKILL.md"), "utf8")).toContain(
        "second edition",
      );
      expect(await readFile(join(second.mountPath, "alpha/references/new-name.md"), "utf8")).toBe(
        "# Renamed later\n",
      );
      const { stdout } = await execFileAsync(join(second.mountPath, "alpha/scripts/run.sh"));
      expect(stdout).toBe("alpha-v2\n");
    });

    it("leaves the first session on its version", async () => {
      expect(stack.host.sessions.status(first.sessionId)?.mount?.version).toBe(firstSha);
      expect(await listFiles(first.mountPath)).toEqual(Object.keys(FIRST_TREE).sort());
      expect(await readFile(join(first.mountPath, "alpha/SKILL.md"), "utf8")).toBe(
        FIRST_TREE["alpha/SKILL.md"]?.content,
      );
      expect(await readFile(join(first.mountPath, "beta/notes.md"), "utf8")).toBe(
        "Deleted later\n",
      );
      const { stdout } = await execFileAsync(join(first.mountPath, "alpha/scripts/run.sh"));
      expect(stdout).toBe("alpha-v1\n");
    });

    it("serves an earlier tree again after an undo", async () => {
      await repo.write("skills/gamma/extra.md", "# Draft\n");
      const draft = await stack.publish();
      expect(draft.version).toMatch(/^local-/);
      expect(draft.decision?.current).toBe(true);
      expect((await stack.openSession()).version).toBe(draft.version);

      await repo.remove("skills/gamma/extra.md");
      const undone = await stack.publish();
      expect(undone.version).toBe(secondSha);
      expect(undone.outcome).toBe("republished");
      expect(undone.decision).toEqual({ current: true, reason: RESTORE_REASON });
      const session = await stack.openSession();
      expect(session.version).toBe(secondSha);
      expect(await listFiles(session.mountPath)).toEqual(SECOND_FILES);

      // The head names the restored version, so the next publish compares with it.
      await repo.write("skills/gamma/extra.md", "# Second draft\n");
      const next = await stack.publish();
      expect(next.base).toBe(secondSha);
      expect(next.changedSkills).toEqual(["gamma"]);
      expect(next.uploaded).toBe(1);
      await repo.remove("skills/gamma/extra.md");
      expect((await stack.publish()).version).toBe(secondSha);
    });

    it("accepts Claude Code fields as the Action does", async () => {
      const original = skillFile("gamma", "Adds gamma. Use for gamma.", "Gamma.");
      await repo.write(
        "skills/gamma/SKILL.md",
        original.replace("---\n\n", "model: claude-sonnet-4-5\n---\n\n"),
      );
      const result = await stack.publish();
      expect(result.outcome).toBe("published");
      expect(result.problems.filter((problem) => problem.severity === "error")).toEqual([]);
      await repo.write("skills/gamma/SKILL.md", original);
      expect((await stack.publish()).version).toBe(secondSha);
    });

    it("unmounts every session on stop", async () => {
      const paths = [first.mountPath, second.mountPath];
      await stack.stop();
      const mounted = await listMountPoints();
      for (const path of paths) {
        expect(mounted).not.toContain(path);
        await expect(stat(path)).rejects.toThrow();
      }
    });
  });
}

describeMode("s3fs");
describeMode("copy");
