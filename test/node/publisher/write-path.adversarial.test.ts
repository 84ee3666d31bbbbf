import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseManifest } from "../../../core/manifest.ts";
import { publish } from "../../../publisher/publish.ts";
import { startVerifyingProxy, type VerifyingProxy } from "../support/sigv4-verifier.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

let h: Harness;
let proxy: VerifyingProxy | undefined;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await h.close();
});

const NAMES: Record<string, string> = {
  "pdf/with space.md": "space\n",
  "pdf/a+b.txt": "plus\n",
  "pdf/100%.txt": "percent\n",
  "pdf/100%25.txt": "percent two five\n",
  "pdf/a&b=c.txt": "ampersand equals\n",
  "pdf/~tilde.txt": "tilde\n",
  "pdf/bang!.txt": "bang\n",
  "pdf/it's.txt": "quote\n",
  "pdf/(paren).txt": "paren\n",
  "pdf/star*.txt": "star\n",
  "pdf/caf\u00e9/na\u00efve.md": "nfc\n",
  "pdf/emoji 🎉.txt": "emoji\n",
  "pdf/semi;colon,comma@at$dollar.txt": "sub-delims\n",
  "pdf/colon:x.txt": "colon\n",
};

async function writeNames(): Promise<string> {
  await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
  for (const [path, content] of Object.entries(NAMES)) {
    await h.repo.write(`skills/${path}`, content);
  }
  return h.repo.commit({ message: "Add names" });
}

describe("write path signatures", () => {
  it.each([
    ["plain endpoint", {}],
    ["endpoint with a base path", { basePath: "/some/base" }],
    ["IPv6 endpoint", { host: "::1" as const }],
  ])("signs keys that need encoding (%s)", async (_label, options) => {
    proxy = await startVerifyingProxy({
      target: h.s3.endpoint,
      secretAccessKey: h.s3.secretAccessKey,
      ...options,
    });
    const store = { ...h.storeSettings("team/skills"), endpoint: proxy.endpoint };
    const first = await writeNames();

    const result = await publish(h.settings({ store }), recordingLogger());

    expect(proxy.mismatches).toEqual([]);
    expect(result.outcome).toBe("published");
    for (const [path, content] of Object.entries(NAMES)) {
      expect(await h.text(`team/skills/versions/${first}/${path}`), path).toBe(content);
    }

    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf", "Reads PDF files."));
    const second = await h.repo.commit({ message: "Describe pdf" });
    const next = await publish(h.settings({ store }), recordingLogger());

    expect(proxy.mismatches).toEqual([]);
    expect(next.outcome).toBe("published");
    const manifest = parseManifest(await h.text(`team/skills/manifests/${second}.json`));
    expect(manifest.files).toHaveLength(Object.keys(NAMES).length + 1);
    for (const [path, content] of Object.entries(NAMES)) {
      expect(await h.text(`team/skills/versions/${second}/${path}`), path).toBe(content);
    }
  });
});

describe("write path long keys", () => {
  it("signs and copies keys near the 1,024-byte limit", async () => {
    proxy = await startVerifyingProxy({
      target: h.s3.endpoint,
      secretAccessKey: h.s3.secretAccessKey,
    });
    // s3rver stores each key segment as a file name, so segments stay under 255 bytes.
    const segment = (character: string) =>
      character.repeat(Math.floor(240 / Buffer.byteLength(character)));
    const longPath = `pdf/${segment("\u00e9")}/${segment("日")}/${segment("🎉")}/${"x".repeat(140)} (1)!.txt`;
    expect(Buffer.byteLength(longPath)).toBeLessThanOrEqual(900);
    const prefix = "p".repeat(1024 - 50 - Buffer.byteLength(longPath) - 1);
    const store = { ...h.storeSettings(prefix), endpoint: proxy.endpoint };
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write(`skills/${longPath}`, "long\n");
    const first = await h.repo.commit({ message: "Add a long name" });

    const result = await publish(h.settings({ store }), recordingLogger());

    expect(proxy.mismatches).toEqual([]);
    expect(result.outcome).toBe("published");
    const key = `${prefix}/versions/${first}/${longPath}`;
    expect(Buffer.byteLength(key)).toBe(1024);
    expect(await h.text(key)).toBe("long\n");

    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf", "Reads PDF files."));
    const second = await h.repo.commit({ message: "Describe pdf" });
    const next = await publish(h.settings({ store }), recordingLogger());

    expect(proxy.mismatches).toEqual([]);
    expect(next.copied).toBe(1);
    expect(await h.text(`${prefix}/versions/${second}/${longPath}`)).toBe("long\n");
  });
});

describe("write path committed bytes", () => {
  it("publishes committed bytes under CRLF and smudge filters", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/crlf.txt", "line one\nline two\n");
    await h.repo.write("skills/pdf/upper.md", "lower case text\n");
    await h.repo.write(".gitattributes", "*.txt text eol=crlf\n*.md filter=upper\n");
    await h.repo.git("config", "filter.upper.smudge", "tr a-z A-Z");
    await h.repo.git("config", "filter.upper.clean", "cat");
    const sha = await h.repo.commit({ message: "Add filtered files" });
    // Check the files out again so the work tree contains the filtered bytes.
    await h.repo.git("rm", "--quiet", "-r", "--cached", "skills");
    await h.repo.git("reset", "--quiet", "--hard", "HEAD");
    await h.repo.remove("skills/pdf/crlf.txt");
    await h.repo.remove("skills/pdf/upper.md");
    await h.repo.git("checkout", "--", "skills");
    const onDisk = (path: string) => readFile(join(h.repo.root, path), "utf8");
    expect(await onDisk("skills/pdf/crlf.txt")).toBe("line one\r\nline two\r\n");
    expect(await onDisk("skills/pdf/upper.md")).toBe("LOWER CASE TEXT\n");

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    expect(result.version).toBe(sha);
    expect(await h.text(`versions/${sha}/pdf/crlf.txt`)).toBe("line one\nline two\n");
    expect(await h.text(`versions/${sha}/pdf/upper.md`)).toBe("lower case text\n");
  });
});

describe("write path sizes", () => {
  it("publishes large files among many small ones", async () => {
    proxy = await startVerifyingProxy({
      target: h.s3.endpoint,
      secretAccessKey: h.s3.secretAccessKey,
    });
    const store = { ...h.storeSettings(), endpoint: proxy.endpoint };
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    const big = new Uint8Array(9 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) & 0xff;
    await h.repo.write("skills/pdf/big one.bin", big);
    await h.repo.write("skills/pdf/big two.bin", big.subarray(1));
    for (let i = 0; i < 300; i++) await h.repo.write(`skills/pdf/small/${i}.txt`, `small ${i}\n`);
    const first = await h.repo.commit({ message: "Add big files" });

    const result = await publish(h.settings({ store }), recordingLogger());

    expect(proxy.mismatches).toEqual([]);
    expect(result.outcome).toBe("published");
    const stored = await h.object(`versions/${first}/pdf/big one.bin`);
    expect(Buffer.compare(stored.bytes, Buffer.from(big))).toBe(0);

    await h.repo.write("skills/pdf/small/0.txt", "changed\n");
    const second = await h.repo.commit({ message: "Change one" });
    const next = await publish(h.settings({ store }), recordingLogger());

    expect(proxy.mismatches).toEqual([]);
    expect(next.uploaded).toBe(1);
    expect(next.copied).toBe(302);
    const copied = await h.object(`versions/${second}/pdf/big two.bin`);
    expect(copied.bytes.byteLength).toBe(big.length - 1);
  });
});

// s3rver 3.7 decodes x-amz-copy-source with decodeURI alone, so without the
// test server's copy-source fix the copy of "a+b.txt" (sent as "a%2Bb.txt")
// reads the look-alike object and the new version contradicts its manifest.
describe("write path copies on s3rver", () => {
  it("copies each file from its own base object", async () => {
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write("skills/pdf/a+b.txt", "plus\n");
    await h.repo.write("skills/pdf/a%2Bb.txt", "percent two b\n");
    await h.repo.commit({ message: "Add look-alike names" });
    const first = await publish(h.settings(), recordingLogger());
    expect(first.outcome).toBe("published");
    expect(await h.text(`versions/${first.version}/pdf/a+b.txt`)).toBe("plus\n");

    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf", "Reads PDF files."));
    const second = await h.repo.commit({ message: "Describe pdf" });
    const next = await publish(h.settings(), recordingLogger());

    expect(next.outcome).toBe("published");
    expect(next.copied).toBe(2);
    expect(await h.text(`versions/${second}/pdf/a%2Bb.txt`)).toBe("percent two b\n");
    expect(await h.text(`versions/${second}/pdf/a+b.txt`)).toBe("plus\n");
  });
});
