import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../core/encoding.ts";
import { objectKey } from "../../core/keys.ts";
import {
  buildManifest,
  type Manifest,
  type ManifestFile,
  MODE_REGULAR,
} from "../../core/manifest.ts";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import type { Bucket, BucketObject } from "../../worker/bucket/types.ts";
import { type CopyTarget, copyVersion } from "../../worker/mount/copy.ts";
import { MountError } from "../../worker/mount/types.ts";
import { knownFileOf } from "../../worker/mount/verify.ts";
import { recordingProvider } from "../../worker/sandbox/recording.ts";

const VERSION = "c0ffee".padEnd(40, "0");
const MOUNT_PATH = "/workspace/.claude/skills";
const SKILL = "---\nname: pdf\ndescription: Reads PDFs\n---\nUse it.\n";
const SCRIPT = "#!/bin/sh\necho hi\n";

const encoder = new TextEncoder();

async function fileOf(path: string, content: string): Promise<ManifestFile> {
  return {
    path,
    size: encoder.encode(content).byteLength,
    sha256: await sha256Hex(content),
    mode: MODE_REGULAR,
    contentType: "text/plain",
  };
}

let goodFiles: ManifestFile[];

beforeAll(async () => {
  goodFiles = [await fileOf("pdf/SKILL.md", SKILL), await fileOf("pdf/run.sh", SCRIPT)];
  await env.SKILLS_BUCKET.put(objectKey("", VERSION, "pdf/SKILL.md"), SKILL);
  await env.SKILLS_BUCKET.put(objectKey("", VERSION, "pdf/run.sh"), SCRIPT);
});

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

function targetOf(manifest: Manifest, sessionId: string): CopyTarget {
  return {
    sessionId,
    version: VERSION,
    manifestKey: `manifests/${VERSION}.json`,
    manifestSha256: "0".repeat(64),
    knownFile: knownFileOf(manifest),
    manifest,
    mountPath: MOUNT_PATH,
    rootPrefix: "",
  };
}

/** Wraps the real bucket and counts how many object bodies were read whole. */
function countingBucket(inner: Bucket): Bucket & { bodiesRead: number } {
  const counting = {
    bodiesRead: 0,
    get: async (key: string): Promise<BucketObject | null> => {
      const object = await inner.get(key);
      if (object === null) return null;
      return {
        ...object,
        arrayBuffer: () => {
          counting.bodiesRead += 1;
          return object.arrayBuffer();
        },
      };
    },
    head: (key: string) => inner.head(key),
    list: (prefix: string, cursor?: string) => inner.list(prefix, cursor),
    delete: (keys: string[]) => inner.delete(keys),
  };
  return counting;
}

const hostileCases: [string, () => Promise<ManifestFile[]>][] = [
  ["a .. path", async () => [...goodFiles, await fileOf("pdf/../../../etc/passwd", SKILL)]],
  ["an absolute path", async () => [...goodFiles, await fileOf("/etc/passwd", SKILL)]],
  ["a NUL in a path", async () => [...goodFiles, await fileOf("pdf/a\u0000b", SKILL)]],
  ["a backslash path", async () => [...goodFiles, await fileOf("pdf\\..\\..\\x", SKILL)]],
  [
    "a huge size",
    async () => [{ ...(goodFiles[0] as ManifestFile), size: Number.MAX_SAFE_INTEGER }],
  ],
  [
    "a sha256 mismatch",
    async () => [{ ...(goodFiles[0] as ManifestFile), sha256: "0".repeat(64) }],
  ],
  ["a listed but missing file", async () => [...goodFiles, await fileOf("pdf/missing.md", "x")]],
];

describe("copy mode with hostile manifests", () => {
  it.each(hostileCases)("rejects %s and writes nothing", async (_name, files) => {
    const provider = recordingProvider();
    const sessionId = `hostile-${crypto.randomUUID()}`;
    const handle = provider.get(sessionId);
    const manifest = hostileManifest(await files());
    const bucket = new R2Bucket(env.SKILLS_BUCKET);

    await expect(copyVersion(handle, bucket, targetOf(manifest, sessionId))).rejects.toThrow(
      MountError,
    );

    const box = provider.sandbox(sessionId);
    expect([...box.files.keys()]).toEqual([]);
    expect(box.mounts.size).toBe(0);
    expect(box.marker).toBeNull();
    // Every path the copy touched is the skills folder's staging sibling or inside it.
    for (const call of provider.callsOf({ sessionId, operation: "writeFile" })) {
      expect(String(call.args[0]).startsWith(`${MOUNT_PATH}.partial-`)).toBe(true);
    }
    for (const folder of box.directories) {
      expect(MOUNT_PATH.startsWith(folder) || folder.startsWith(MOUNT_PATH)).toBe(true);
    }
    expect(box.directories.has(MOUNT_PATH)).toBe(false);
  });

  it("rejects an unsafe path before reading", async () => {
    const provider = recordingProvider();
    const bucket = countingBucket(new R2Bucket(env.SKILLS_BUCKET));
    const manifest = hostileManifest([...goodFiles, await fileOf("../x", SKILL)]);
    await expect(
      copyVersion(provider.get("early"), bucket, targetOf(manifest, "early")),
    ).rejects.toThrow(/unsafe paths/);
    expect(bucket.bodiesRead).toBe(0);
    expect(provider.callsOf({ sessionId: "early" })).toEqual([]);
  });

  it("rejects a size mismatch without reading the body", async () => {
    const provider = recordingProvider();
    const bucket = countingBucket(new R2Bucket(env.SKILLS_BUCKET));
    const manifest = hostileManifest([{ ...(goodFiles[0] as ManifestFile), size: 3 }]);
    await expect(
      copyVersion(provider.get("size"), bucket, targetOf(manifest, "size")),
    ).rejects.toThrow(/bytes/);
    expect(bucket.bodiesRead).toBe(0);
  });

  it("copies the sound manifest", async () => {
    const provider = recordingProvider();
    const manifest = hostileManifest(goodFiles);
    await copyVersion(
      provider.get("sound"),
      new R2Bucket(env.SKILLS_BUCKET),
      targetOf(manifest, "sound"),
    );
    expect(provider.sandbox("sound").list(MOUNT_PATH)).toEqual(["pdf/SKILL.md", "pdf/run.sh"]);
  });
});
