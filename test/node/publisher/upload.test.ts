import { createHash } from "node:crypto";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { contentTypeOf } from "../../../core/content-type.ts";
import { objectKey } from "../../../core/keys.ts";
import { buildManifest, type CommitInfo, MODE_REGULAR } from "../../../core/manifest.ts";
import { indexBase } from "../../../core/plan.ts";
import { S3Store } from "../../../publisher/store.ts";
import { type WriteItem, writeVersion } from "../../../publisher/upload.ts";
import { createHarness, type Harness, recordingLogger } from "./harness.ts";

const BASE = "1".repeat(40);
const VERSION = "2".repeat(40);
const COMMIT: CommitInfo = {
  sha: VERSION,
  message: "Change one file",
  author: { name: "Ada", email: "ada@example.com" },
  timestamp: "2026-01-02T03:04:05Z",
  dirty: false,
};

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Base files: path and content. */
const BASE_FILES: Record<string, string> = {
  "pdf/SKILL.md": "skill\n",
  "pdf/guide.md": "guide\n",
  "pdf/gone.md": "gone\n",
};

let h: Harness;
let store: S3Store;
beforeEach(async () => {
  h = await createHarness();
  store = new S3Store(h.storeSettings(), { logger: recordingLogger() });
  for (const [path, content] of Object.entries(BASE_FILES)) {
    await h.putText(objectKey("", BASE, path), content);
  }
});
afterEach(async () => {
  store.destroy();
  await h.close();
});

function baseIndex(files = BASE_FILES) {
  return indexBase(
    buildManifest({
      version: BASE,
      repository: null,
      commit: { ...COMMIT, sha: BASE },
      skills: [{ name: "pdf", description: "d" }],
      files: Object.entries(files).map(([path, content]) => ({
        path,
        size: content.length,
        sha256: sha256(content),
        mode: MODE_REGULAR,
        contentType: contentTypeOf(path),
      })),
    }),
  );
}

/** Returns an item that counts its reads; with `hashed`, its digest is known up front. */
function item(path: string, content: string, hashed = false): WriteItem & { reads: number } {
  const counted = {
    path,
    mode: MODE_REGULAR,
    size: content.length,
    sha256: hashed ? sha256(content) : undefined,
    reads: 0,
    async read() {
      counted.reads += 1;
      return new TextEncoder().encode(content);
    },
  };
  return counted;
}

describe("writeVersion", () => {
  it("hashes each item once and decides by content", async () => {
    const items = [
      item("pdf/SKILL.md", "skill\n"),
      item("pdf/moved.md", "guide\n"),
      item("pdf/new.md", "new\n"),
    ];
    const logger = recordingLogger();

    const output = await writeVersion(
      {
        store,
        root: "",
        version: VERSION,
        commit: COMMIT,
        base: baseIndex(),
        items,
        concurrency: 4,
      },
      logger,
    );

    expect(output.counts).toEqual({ uploaded: 1, copied: 2, bytesUploaded: 4 });
    expect(output.files.map((file) => [file.path, file.sha256, file.size])).toEqual([
      ["pdf/SKILL.md", sha256("skill\n"), 6],
      ["pdf/moved.md", sha256("guide\n"), 6],
      ["pdf/new.md", sha256("new\n"), 4],
    ]);
    expect(items.map((entry) => entry.reads)).toEqual([1, 1, 1]);
    expect(await h.text(objectKey("", VERSION, "pdf/moved.md"))).toBe("guide\n");
    const uploaded = await h.object(objectKey("", VERSION, "pdf/new.md"));
    expect(uploaded.bytes.toString()).toBe("new\n");
    expect(uploaded.metadata.sha256).toBe(sha256("new\n"));
    expect(uploaded.metadata.commit).toBe(VERSION);
  });

  it("uploads the bytes it read when the base object is gone", async () => {
    const items = [item("pdf/gone.md", "gone\n")];
    await h.client.send(
      new DeleteObjectCommand({
        Bucket: h.s3.bucket,
        Key: objectKey("", BASE, "pdf/gone.md"),
      }),
    );
    const logger = recordingLogger();

    const output = await writeVersion(
      {
        store,
        root: "",
        version: VERSION,
        commit: COMMIT,
        base: baseIndex(),
        items,
        concurrency: 4,
      },
      logger,
    );

    expect(output.counts.uploaded).toBe(1);
    expect(output.counts.copied).toBe(0);
    expect(items[0]?.reads).toBe(1);
    expect(
      logger.lines.some((line) => line.level === "warn" && line.message.includes("missing")),
    ).toBe(true);
    expect(await h.text(objectKey("", VERSION, "pdf/gone.md"))).toBe("gone\n");
  });

  it("copies hashed items without reading them", async () => {
    const items = [item("pdf/SKILL.md", "skill\n", true), item("pdf/new.md", "new\n", true)];

    const output = await writeVersion(
      {
        store,
        root: "",
        version: VERSION,
        commit: COMMIT,
        base: baseIndex(),
        items,
        concurrency: 4,
      },
      recordingLogger(),
    );

    expect(output.counts).toEqual({ uploaded: 1, copied: 1, bytesUploaded: 4 });
    expect(items.map((entry) => entry.reads)).toEqual([0, 1]);
  });

  it("attempts every item before it fails", async () => {
    const failing: WriteItem = {
      path: "pdf/broken.md",
      mode: MODE_REGULAR,
      size: 3,
      read: () => Promise.reject(new Error("disk gone")),
    };
    const items = [failing, item("pdf/new.md", "new\n")];

    await expect(
      writeVersion(
        {
          store,
          root: "",
          version: VERSION,
          commit: COMMIT,
          base: baseIndex(),
          items,
          concurrency: 1,
        },
        recordingLogger(),
      ),
    ).rejects.toThrow(/1 of 2 objects of version 2{40} failed.*pdf\/broken\.md: disk gone/);
    expect(await h.exists(objectKey("", VERSION, "pdf/new.md"))).toBe(true);
  });
});
