import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseManifest } from "../../../core/manifest.ts";
import { MAX_METADATA_BYTES, metadataBytes } from "../../../core/metadata.ts";
import { publish } from "../../../publisher/publish.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const ODD_NAMES: Record<string, string> = {
  "pdf/with space.md": "space\n",
  "pdf/café/naïve résumé.md": "accents\n",
  "pdf/a+b&c%d.txt": "plus ampersand percent\n",
  "pdf/100%25.txt": "literal percent-two-five\n",
  "pdf/日本語/ファイル.md": "japanese\n",
  "pdf/emoji 🎉.txt": "emoji\n",
  "pdf/q?x=1#frag;=,@$.txt": "reserved\n",
  "pdf/'quotes' (and) [brackets] {braces}!.txt": "punctuation\n",
};

describe("publish names", () => {
  it("round-trips unusual file names", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    for (const [path, content] of Object.entries(ODD_NAMES)) {
      await h.repo.write(`skills/${path}`, content);
    }
    const first = await h.repo.commit({ message: "Add odd names" });

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    const manifest = parseManifest(await h.text(`manifests/${first}.json`));
    expect(manifest.files.map((file) => file.path).sort()).toEqual(
      ["pdf/SKILL.md", ...Object.keys(ODD_NAMES)].sort(),
    );
    expect(await h.keys(`versions/${first}/`)).toEqual(
      manifest.files.map((file) => `versions/${first}/${file.path}`).sort(),
    );
    for (const [path, content] of Object.entries(ODD_NAMES)) {
      expect(await h.text(`versions/${first}/${path}`), path).toBe(content);
    }

    // The next version copies them server side; s3rver cannot copy keys
    // with + & ? # (see the store tests), so those fall back to an upload.
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf", "Reads PDF files."));
    const second = await h.repo.commit({ message: "Describe pdf" });
    const next = await publish(h.settings(), recordingLogger());

    expect(next.outcome).toBe("published");
    expect(next.base).toBe(first);
    expect(next.uploaded + next.copied).toBe(Object.keys(ODD_NAMES).length + 1);
    expect(next.copied).toBeGreaterThanOrEqual(5);
    for (const [path, content] of Object.entries(ODD_NAMES)) {
      const stored = await h.object(`versions/${second}/${path}`);
      expect(stored.bytes.toString("utf8"), path).toBe(content);
      expect(stored.metadata.mode, path).toBe("33188");
    }
  });

  it("keeps long commit messages out of metadata", async () => {
    const message = `✨ Add skills 🎉 with “quotes”\n\nSecond paragraph: ünïcödé\r\ntabs\there\n${"x".repeat(10_000)}\n`;
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    const sha = await h.repo.commit({
      message,
      author: { name: "Zoë 山田 🚀", email: "zoe@example.com" },
    });

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    const manifest = parseManifest(await h.text(`manifests/${sha}.json`));
    expect(manifest.commit.message).toBe(message);
    expect(manifest.commit.author.name).toBe("Zoë 山田 🚀");
    const { metadata } = await h.object(`versions/${sha}/pdf/SKILL.md`);
    expect(metadataBytes(metadata)).toBeLessThan(MAX_METADATA_BYTES);
    for (const [key, value] of Object.entries(metadata)) {
      expect(value, key).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(decodeURIComponent(metadata.message ?? "")).toBe("✨ Add skills 🎉 with “quotes”");
    expect(decodeURIComponent(metadata.author ?? "")).toBe("Zoë 山田 🚀");
  });
});
