import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { headSchema } from "../../../core/head.ts";
import { parseManifest } from "../../../core/manifest.ts";
import { PublishError, publish } from "../../../publisher/publish.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

function workingTree(h: Harness) {
  const settings = h.settings();
  return h.settings({ source: { ...settings.source, mode: "working-tree", ref: null, run: null } });
}

describe("publish working tree", () => {
  it("publishes untracked files under a local id", async () => {
    await h.repo.write(".gitignore", "*.log\n");
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/tracked.md", "tracked\n");
    await h.repo.write("skills/pdf/deleted.md", "deleted soon\n");
    const head = await h.repo.commit({ message: "Base" });
    await h.repo.write("skills/pdf/tracked.md", "edited on disk\n");
    await h.repo.write("skills/pdf/untracked.md", "new and untracked\n");
    await h.repo.write("skills/pdf/debug.log", "ignored\n");
    await h.repo.remove("skills/pdf/deleted.md");

    const result = await publish(workingTree(h), recordingLogger());

    expect(result.outcome).toBe("published");
    expect(result.version).toMatch(/^local-[0-9a-f]{24}$/);
    const prefix = `versions/${result.version}/`;
    expect(await h.keys(prefix)).toEqual(
      ["pdf/SKILL.md", "pdf/tracked.md", "pdf/untracked.md"].map((path) => prefix + path),
    );
    expect(await h.text(`${prefix}pdf/tracked.md`)).toBe("edited on disk\n");
    const manifest = parseManifest(await h.text(`manifests/${result.version}.json`));
    expect(manifest.commit.sha).toBe(head);
    expect(manifest.commit.dirty).toBe(true);
    expect((await h.object(`${prefix}pdf/SKILL.md`)).metadata.commit).toBe("uncommitted");

    // The same content gives the same id, so publishing again is a re-run.
    const again = await publish(workingTree(h), recordingLogger());
    expect(again.version).toBe(result.version);
    expect(again.outcome).toBe("republished");
    const channelHead = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(channelHead.commit.timestamp).toBe(manifest.commit.timestamp);
    expect(channelHead.manifestSha256).toBe(result.manifestSha256);

    await h.repo.write("skills/pdf/untracked.md", "changed again\n");
    const changed = await publish(workingTree(h), recordingLogger());
    expect(changed.version).toMatch(/^local-[0-9a-f]{24}$/);
    expect(changed.version).not.toBe(result.version);
    expect(changed.base).toBe(result.version);
    expect(changed.uploaded).toBe(1);
    expect(changed.copied).toBe(2);
  });

  it("uses the commit sha for a clean tree", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/run.sh", "#!/bin/sh\n", 0o755);
    await h.repo.write("notes.txt", "outside the skills folder\n");
    await h.repo.write(".gitignore", "*.log\n");
    const head = await h.repo.commit({ message: "Base" });
    // Changes outside the skills folder and ignored files do not count.
    await h.repo.write("notes.txt", "changed\n");
    await h.repo.write("skills/pdf/debug.log", "ignored\n");

    const result = await publish(workingTree(h), recordingLogger());

    expect(result.version).toBe(head);
    const manifest = parseManifest(await h.text(`manifests/${head}.json`));
    expect(manifest.commit.dirty).toBe(false);
    expect(manifest.files.find((file) => file.path === "pdf/run.sh")?.mode).toBe(0o100755);
  });

  it("counts a mode change as a change", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/run.sh", "#!/bin/sh\n", 0o644);
    const head = await h.repo.commit({ message: "Base" });
    await h.repo.write("skills/pdf/run.sh", "#!/bin/sh\n", 0o755);

    const result = await publish(workingTree(h), recordingLogger());

    expect(result.version).not.toBe(head);
    const stored = await h.object(`versions/${result.version}/pdf/run.sh`);
    expect(stored.metadata.mode).toBe("33261");
  });

  it("publishes a repository without commits", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));

    const result = await publish(workingTree(h), recordingLogger());

    expect(result.outcome).toBe("published");
    expect(result.version).toMatch(/^local-[0-9a-f]{24}$/);
    const manifest = parseManifest(await h.text(`manifests/${result.version}.json`));
    expect(manifest.commit.sha).toBeNull();
    expect(manifest.commit.dirty).toBe(true);
  });

  it("rejects commit mode without commits", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await expect(publish(h.settings(), recordingLogger())).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof PublishError &&
        error.code === "git" &&
        error.message.includes("no commits"),
    );
  });
});
