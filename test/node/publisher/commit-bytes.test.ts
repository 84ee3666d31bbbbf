import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publish } from "../../../publisher/publish.ts";
import { createGitRepo } from "../support/git-repo.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

const execFileAsync = promisify(execFile);

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

// Commit mode reads a file from the work tree when its bytes have the
// commit's object id. These cases check that it still uploads the committed
// bytes when the work tree differs from HEAD.
describe("publish commit bytes", () => {
  it("ignores work tree edits and deletions", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/same-size.md", "committed\n");
    await h.repo.write("skills/pdf/longer.md", "committed\n");
    await h.repo.write("skills/pdf/deleted.md", "committed\n");
    await h.repo.write("skills/pdf/untouched.md", "committed\n");
    await h.repo.commit();
    await h.repo.write("skills/pdf/same-size.md", "edited!!!\n");
    await h.repo.write("skills/pdf/longer.md", "edited on disk and longer\n");
    await h.repo.remove("skills/pdf/deleted.md");

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    const prefix = `versions/${result.version}/pdf/`;
    expect(await h.text(`${prefix}same-size.md`)).toBe("committed\n");
    expect(await h.text(`${prefix}longer.md`)).toBe("committed\n");
    expect(await h.text(`${prefix}deleted.md`)).toBe("committed\n");
    expect(await h.text(`${prefix}untouched.md`)).toBe("committed\n");
  });

  it("reads from git when a FIFO replaces a file", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/pipe.md", "committed\n");
    await h.repo.commit();
    await h.repo.remove("skills/pdf/pipe.md");
    await execFileAsync("mkfifo", [join(h.repo.root, "skills/pdf/pipe.md")]);

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    expect(await h.text(`versions/${result.version}/pdf/pipe.md`)).toBe("committed\n");
  });

  it("publishes committed bytes of a SHA-256 repository", async () => {
    const repo = await createGitRepo({ objectFormat: "sha256" });
    try {
      await repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
      await repo.write("skills/pdf/same-size.md", "committed\n");
      await repo.write("skills/pdf/untouched.md", "committed\n");
      const sha = await repo.commit();
      await repo.write("skills/pdf/same-size.md", "edited!!!\n");
      const settings = h.settings();
      settings.source.repositoryRoot = repo.root;

      const result = await publish(settings, recordingLogger());

      expect(sha).toMatch(/^[0-9a-f]{64}$/);
      expect(result.version).toBe(sha);
      const prefix = `versions/${sha}/pdf/`;
      expect(await h.text(`${prefix}same-size.md`)).toBe("committed\n");
      expect(await h.text(`${prefix}untouched.md`)).toBe("committed\n");
    } finally {
      await repo.close();
    }
  });
});
