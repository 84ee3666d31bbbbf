import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../core/encoding.ts";
import { objectKey, versionPrefix } from "../../../core/keys.ts";
import {
  buildManifest,
  type Manifest,
  type ManifestFile,
  MODE_REGULAR,
} from "../../../core/manifest.ts";
import { createBucketClient } from "../../../local/bucket.ts";
import { copyVersion, removeTree } from "../../../local/copy.ts";
import { unmount } from "../../../local/mount.ts";
import { startFaultProxy } from "../support/fault-proxy.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";
import { cleanClient } from "./bucket-audit.ts";

const VERSION = "d00d".padEnd(40, "0");
const SKILL = "---\nname: pdf\ndescription: Reads PDFs\n---\nUse it.\n";

let s3: S3Server;
let workspace: string;
let goodFiles: ManifestFile[];

async function fileOf(path: string, content: string): Promise<ManifestFile> {
  return {
    path,
    size: Buffer.byteLength(content),
    sha256: await sha256Hex(content),
    mode: MODE_REGULAR,
    contentType: "text/plain",
  };
}

/** Builds a manifest around `files` without the schema, as a hostile writer of the bucket could. */
function hostileManifest(files: ManifestFile[]): Manifest {
  const manifest = buildManifest({
    version: VERSION,
    repository: null,
    commit: {
      sha: VERSION,
      message: "m",
      author: { name: "a", email: "a@example.com" },
      timestamp: "2026-01-01T00:00:00Z",
      dirty: false,
    },
    skills: [{ name: "pdf", description: "Reads PDFs" }],
    files: [],
  });
  return { ...manifest, files, totals: { files: files.length, bytes: 0 } };
}

beforeAll(async () => {
  s3 = await startS3Server();
  workspace = await mkdtemp(join(tmpdir(), "r2-skills-local-copy-"));
  const client = cleanClient(s3);
  goodFiles = [await fileOf("pdf/SKILL.md", SKILL)];
  await client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: objectKey("", VERSION, "pdf/SKILL.md"),
      Body: SKILL,
    }),
  );
  for (let index = 0; index < 60; index++) {
    const path = `pdf/references/file-${index}.md`;
    const content = `reference ${index}\n`.repeat(200);
    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: objectKey("", VERSION, path), Body: content }),
    );
    goodFiles.push(await fileOf(path, content));
  }
  client.destroy();
});

afterAll(async () => {
  await removeTree(workspace);
  await s3.close();
});

/** A fresh session folder: `<case>/workspace/.claude/skills` is the target, `<case>/sentinel` must stay. */
async function sessionFolder(name: string): Promise<{ root: string; target: string }> {
  const root = join(workspace, name);
  await mkdir(join(root, "workspace", ".claude"), { recursive: true });
  await writeFile(join(root, "sentinel"), "keep");
  return { root, target: join(root, "workspace", ".claude", "skills") };
}

async function listAll(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return entries.map(String).sort();
}

const cases: [string, () => Promise<ManifestFile[]>][] = [
  [
    "a .. path",
    async () => [...goodFiles.slice(0, 3), await fileOf("pdf/../../../../escape-target.md", SKILL)],
  ],
  [
    "an absolute path",
    async () => [
      ...goodFiles.slice(0, 3),
      await fileOf(join(workspace, "absolute-target.md"), SKILL),
    ],
  ],
  ["a NUL in a path", async () => [...goodFiles.slice(0, 3), await fileOf("pdf/a\u0000b", SKILL)]],
  [
    "a huge size",
    async () => [{ ...(goodFiles[0] as ManifestFile), size: Number.MAX_SAFE_INTEGER }],
  ],
  [
    "a sha256 mismatch",
    async () => [{ ...(goodFiles[0] as ManifestFile), sha256: "0".repeat(64) }],
  ],
  ["a listed but missing file", async () => [await fileOf("pdf/missing.md", "x"), ...goodFiles]],
];

describe("local sandbox host copy with hostile manifests", () => {
  it.each(cases)("rejects %s and writes nothing", async (name, files) => {
    const folder = await sessionFolder(name.replace(/\W+/g, "-"));
    const proxy = await startFaultProxy({ target: s3.endpoint, seed: 1, rates: {} });
    const client = createBucketClient({ ...s3, endpoint: proxy.url, region: "us-east-1" });
    try {
      await expect(
        copyVersion({
          client,
          bucket: s3.bucket,
          prefix: versionPrefix("", VERSION),
          target: folder.target,
          manifest: hostileManifest(await files()),
        }),
      ).rejects.toThrow(/manifest|bytes|SHA-256|Failed to read/);
      // Every read the copy started has settled, so nothing can land later.
      expect(proxy.stats.inFlight).toBe(0);
    } finally {
      client.destroy();
      await proxy.close();
    }
    expect(await listAll(folder.root)).toEqual(["sentinel", "workspace", "workspace/.claude"]);
    expect(await readFile(join(folder.root, "sentinel"), "utf8")).toBe("keep");
    expect(
      await listAll(workspace).then((all) =>
        all.filter((path) => /(escape|absolute)-target/.test(path)),
      ),
    ).toEqual([]);
  });

  it("copies the sound manifest", async () => {
    const folder = await sessionFolder("sound");
    const client = createBucketClient({ ...s3, region: "us-east-1" });
    try {
      await copyVersion({
        client,
        bucket: s3.bucket,
        prefix: versionPrefix("", VERSION),
        target: folder.target,
        manifest: hostileManifest(goodFiles),
      });
    } finally {
      client.destroy();
    }
    const copied = await listAll(folder.target);
    expect(copied.filter((path) => path.endsWith(".md")).length).toBe(goodFiles.length);
    // As root, the copy is also a read-only bind mount of itself.
    await unmount(folder.target);
  });
});
