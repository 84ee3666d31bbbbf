import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseManifest } from "../../../core/manifest.ts";
import { publish } from "../../../publisher/publish.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

describe("publish", () => {
  it("uploads everything on first publish", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/scripts/run.sh", "#!/bin/sh\necho hi\n", 0o755);
    await h.repo.write("skills/pdf/references/guide.md", "# Guide\n");
    await h.repo.write("skills/xlsx/SKILL.md", skillFile("xlsx"));
    await h.repo.write("README.md", "not published\n");
    const sha = await h.repo.commit({ message: "Add skills" });
    const logger = recordingLogger();

    const result = await publish(h.settings(), logger);

    expect(result.outcome).toBe("published");
    expect(result.version).toBe(sha);
    expect(result.uploaded).toBe(4);
    expect(result.copied).toBe(0);
    expect(result.base).toBeNull();
    expect(result.skills).toEqual(["pdf", "xlsx"]);
    const script = await h.object(`versions/${sha}/pdf/scripts/run.sh`);
    expect(script.bytes.toString()).toBe("#!/bin/sh\necho hi\n");
    expect(script.metadata.mode).toBe("33261");
    expect(script.metadata.sha256).toBe(sha256("#!/bin/sh\necho hi\n"));
    const manifestText = await h.text(`manifests/${sha}.json`);
    const manifest = parseManifest(manifestText);
    expect(manifest.files.map((file) => file.path)).toEqual([
      "pdf/SKILL.md",
      "pdf/references/guide.md",
      "pdf/scripts/run.sh",
      "xlsx/SKILL.md",
    ]);
    expect(result.manifestSha256).toBe(sha256(manifestText));
    const head = JSON.parse(await h.text("heads/production.json"));
    expect(head.version).toBe(sha);
  });
});
