import { describe, expect, it } from "vitest";
import { headKey, manifestKey, normalizePrefix, objectKey } from "../../../core/keys.ts";
import { encodeBounded, metadataBytes, objectMetadata } from "../../../core/metadata.ts";
import { parseNotification } from "../../../core/notification.ts";
import { checkRelativePath } from "../../../core/paths.ts";

const V = "ab".repeat(20);

describe("keys", () => {
  it.each([
    [undefined, ""],
    ["", ""],
    ["/team/skills/", "team/skills/"],
    ["skills", "skills/"],
  ])("normalizes the prefix %s", (input, expected) => {
    expect(normalizePrefix(input)).toBe(expected);
  });

  it.each(["a/../b", "a//b", "a\\b"])("rejects the prefix %s", (prefix) => {
    expect(() => normalizePrefix(prefix)).toThrow(/Invalid prefix/);
  });

  it("lays out versions, manifests and heads", () => {
    expect(objectKey("p/", V, "pdf/SKILL.md")).toBe(`p/versions/${V}/pdf/SKILL.md`);
    expect(manifestKey("", V)).toBe(`manifests/${V}.json`);
    expect(headKey("", "production")).toBe("heads/production.json");
  });

  it("rejects an escaping object path", () => {
    expect(() => objectKey("", V, "pdf/../../x")).toThrow(/Unsafe path/);
  });

  it.each([
    ["", "empty"],
    ["/etc/passwd", "absolute"],
    ["a/../b", '".."'],
    ["a/./b", '"."'],
    ["a\u0000b", "NUL"],
    ["a//b", "empty segment"],
  ])("checkRelativePath rejects %j", (path, reason) => {
    expect(checkRelativePath(path)).toContain(reason);
  });
});

describe("objectMetadata", () => {
  it("stays ASCII and under 2 KB for any commit text", () => {
    const message = `${"🚀 déploiement\n".repeat(500)}`;
    const metadata = objectMetadata({
      sha256: "0".repeat(64),
      mode: 33261,
      commit: V,
      mtime: 1_700_000_000,
      author: "Zoë 李".repeat(100),
      message,
    });
    const all = Object.entries(metadata).flat().join("");
    expect(/^[\x20-\x7e]*$/.test(all)).toBe(true);
    expect(metadataBytes(metadata)).toBeLessThanOrEqual(2048);
    expect(metadata.mode).toBe("33261");
  });

  it("never cuts a percent escape", () => {
    const encoded = encodeBounded("é".repeat(10), 8);
    expect(encoded).toBe("%C3%A9");
    expect(decodeURIComponent(encoded)).toBe("é");
  });
});

describe("parseNotification", () => {
  const body = {
    type: "skills.published",
    timestamp: "2026-01-01T00:00:00Z",
    data: {
      version: V,
      channel: "production",
      manifestKey: `manifests/${V}.json`,
      manifestSha256: "f".repeat(64),
      base: null,
      repository: "acme/skills",
      ref: "refs/heads/main",
      commit: { sha: V, timestamp: "2026-01-01T00:00:00Z" },
      run: { id: "1", attempt: 1, url: null },
      publishedAt: "2026-01-01T00:00:01Z",
    },
  };

  it("accepts a valid body", () => {
    expect(parseNotification(body, "")).toMatchObject({ ok: true });
  });

  it("rejects a manifest key the version does not imply", () => {
    const result = parseNotification(body, "team/");
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining("SKILLS_PREFIX") });
  });

  it("rejects an invalid channel", () => {
    const bad = { ...body, data: { ...body.data, channel: "Prod!" } };
    expect(parseNotification(bad, "")).toMatchObject({ ok: false });
  });
});
