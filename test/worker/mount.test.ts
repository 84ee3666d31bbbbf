import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../core/encoding.ts";
import { objectKey } from "../../core/keys.ts";
import { type Manifest, type ManifestFile, MODE_REGULAR } from "../../core/manifest.ts";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import { loadConfig } from "../../worker/config.ts";
import type { Env } from "../../worker/env.ts";
import { HttpError } from "../../worker/errors.ts";
import {
  localHostMounter,
  localSyncMounter,
  r2BindingMounter,
  s3Mounter,
} from "../../worker/mount/bucket-mounts.ts";
import { type CopyTarget, copyVersion, removeCopiedVersion } from "../../worker/mount/copy.ts";
import { createMounter, knownFileOf, knownFilePath, MountError } from "../../worker/mount/index.ts";
import { recordingProvider } from "../../worker/sandbox/recording.ts";
import type { SandboxHandle } from "../../worker/sandbox/types.ts";
import { DEFAULT_FILES, randomVersion, writeVersion } from "./sessions-fixtures.ts";

const MOUNT_PATH = "/workspace/.claude/skills";

async function targetFor(version: string, rootPrefix = ""): Promise<CopyTarget> {
  const written = await writeVersion(version, DEFAULT_FILES, rootPrefix);
  return {
    sessionId: "mount-test",
    version,
    manifestKey: written.manifestKey,
    manifestSha256: written.manifestSha256,
    knownFile: knownFileOf(written.manifest),
    manifest: written.manifest,
    mountPath: MOUNT_PATH,
    rootPrefix,
  };
}

function configWith(
  vars: Partial<Omit<Env, "SKILLS_BUCKET" | "REGISTRY" | "SESSIONS" | "SANDBOX">>,
) {
  return loadConfig({ ...env, ...vars });
}

describe("bucket mount modes", () => {
  it("r2-binding mounts the version prefix read-only", async () => {
    const provider = recordingProvider();
    const version = randomVersion();
    const target = await targetFor(version, "team/skills/");

    await r2BindingMounter().mount(provider.get("s"), target);

    expect(provider.calls[0]?.args[0]).toEqual({
      kind: "r2-binding",
      binding: "SKILLS_BUCKET",
      mountPath: MOUNT_PATH,
      prefix: `/team/skills/versions/${version}/`,
      readOnly: true,
    });
  });

  it("s3 passes endpoint, bucket and credentials", async () => {
    const provider = recordingProvider();
    const version = randomVersion();
    const config = configWith({
      MOUNT_MODE: "s3",
      S3_ENDPOINT: "https://account.r2.example.com",
      S3_BUCKET: "skills",
      S3_ACCESS_KEY_ID: "key-id",
      S3_SECRET_ACCESS_KEY: "key-secret",
    });

    await s3Mounter(config).mount(provider.get("s"), await targetFor(version));

    expect(provider.calls[0]?.args[0]).toEqual({
      kind: "s3",
      endpoint: "https://account.r2.example.com",
      bucket: "skills",
      mountPath: MOUNT_PATH,
      prefix: `/versions/${version}/`,
      credentials: { accessKeyId: "key-id", secretAccessKey: "key-secret" },
      readOnly: true,
    });
  });

  it("s3 without keys names the missing secret", async () => {
    const provider = recordingProvider();
    const config = configWith({
      MOUNT_MODE: "s3",
      S3_ENDPOINT: "https://account.r2.example.com",
      S3_BUCKET: "skills",
    });

    const mounting = s3Mounter(config).mount(provider.get("s"), await targetFor(randomVersion()));

    await expect(mounting).rejects.toBeInstanceOf(HttpError);
    await expect(mounting).rejects.toThrow("wrangler secret put S3_ACCESS_KEY_ID");
    expect(provider.calls).toEqual([]);
  });

  it("local-sync asks for the local bucket", async () => {
    const provider = recordingProvider();
    const version = randomVersion();

    await localSyncMounter().mount(provider.get("s"), await targetFor(version));

    expect(provider.calls[0]?.args[0]).toEqual({
      kind: "local-sync",
      binding: "SKILLS_BUCKET",
      mountPath: MOUNT_PATH,
      prefix: `/versions/${version}/`,
      readOnly: true,
    });
  });

  it("local asks the host with key prefix, manifest and known file", async () => {
    const provider = recordingProvider();
    const version = randomVersion();
    const target = await targetFor(version);

    await localHostMounter().mount(provider.get("s"), target);
    await localHostMounter().mount(provider.get("t"), { ...target, knownFile: undefined });

    expect(provider.calls[0]?.args[0]).toEqual({
      kind: "host",
      version,
      mountPath: MOUNT_PATH,
      prefix: `versions/${version}/`,
      manifestKey: `manifests/${version}.json`,
      manifestSha256: target.manifestSha256,
      knownFile: "commit-messages/SKILL.md",
      readOnly: true,
    });
    expect(provider.calls[1]?.args[0]).not.toHaveProperty("knownFile");
  });

  it("createMounter follows MOUNT_MODE", () => {
    const bucket = new R2Bucket(env.SKILLS_BUCKET);
    const modes = ["r2-binding", "local-sync", "copy"] as const;
    for (const mode of modes) {
      expect(createMounter(configWith({ MOUNT_MODE: mode }), bucket).mode).toBe(mode);
    }
    const local = configWith({ MOUNT_MODE: "local", LOCAL_HOST_URL: "http://127.0.0.1:9000" });
    expect(createMounter(local, bucket).mode).toBe("local");
  });
});

describe("copy mode", () => {
  const bucket = new R2Bucket(env.SKILLS_BUCKET);

  it("copies every file read-only, scripts executable", async () => {
    const provider = recordingProvider();
    const target = await targetFor(randomVersion());

    await copyVersion(provider.get("s"), bucket, target);

    const sandbox = provider.sandbox("s");
    expect(sandbox.list(MOUNT_PATH)).toEqual(DEFAULT_FILES.map((file) => file.path).sort());
    for (const file of DEFAULT_FILES) {
      const copied = sandbox.files.get(`${MOUNT_PATH}/${file.path}`);
      expect(new TextDecoder().decode(copied?.content)).toBe(file.content);
      expect(copied?.mode, file.path).toBe(file.executable === true ? 0o555 : 0o444);
    }
    expect([...sandbox.files.keys()].filter((path) => path.includes(".partial-"))).toEqual([]);
  });

  it("copies under a root prefix", async () => {
    const provider = recordingProvider();
    const target = await targetFor(randomVersion(), "team/");

    await copyVersion(provider.get("s"), bucket, target);

    expect(provider.sandbox("s").list(MOUNT_PATH).length).toBe(DEFAULT_FILES.length);
  });

  it("escaping path writes nothing", async () => {
    const unsafe = [
      "../outside/SKILL.md",
      "/etc/passwd",
      "skill/../../x",
      "skill/a\u0000b",
      "skill\\x",
    ];
    for (const path of unsafe) {
      const provider = recordingProvider();
      const target = await targetFor(randomVersion());
      const files: ManifestFile[] = [
        ...target.manifest.files,
        { path, size: 1, sha256: "0".repeat(64), mode: MODE_REGULAR, contentType: "text/plain" },
      ];
      const manifest: Manifest = { ...target.manifest, files };

      const copying = copyVersion(provider.get("s"), bucket, { ...target, manifest });

      await expect(copying, path).rejects.toBeInstanceOf(MountError);
      await expect(copying, path).rejects.toThrow("nothing was copied");
      expect(provider.calls, path).toEqual([]);
    }
  });

  it("digest mismatch removes the partial copy", async () => {
    const provider = recordingProvider();
    const version = randomVersion();
    const target = await targetFor(version);
    const path = "review/references/api/checklist.md";
    // Same size, other bytes: only the digest check can catch it.
    await env.SKILLS_BUCKET.put(objectKey("", version, path), utf8("- nouns\n").slice(0, 8));

    const copying = copyVersion(provider.get("s"), bucket, target, { concurrency: 1 });

    await expect(copying).rejects.toThrow(`has SHA-256`);
    const sandbox = provider.sandbox("s");
    expect(sandbox.list(MOUNT_PATH)).toEqual([]);
    expect([...sandbox.files.keys()]).toEqual([]);
    expect([...sandbox.directories].filter((folder) => folder.includes(".partial-"))).toEqual([]);
  });

  it("size mismatch fails", async () => {
    const provider = recordingProvider();
    const version = randomVersion();
    const target = await targetFor(version);
    await env.SKILLS_BUCKET.put(objectKey("", version, "review/SKILL.md"), utf8("short"));

    await expect(copyVersion(provider.get("s"), bucket, target)).rejects.toThrow("has 5 bytes");
    expect(provider.sandbox("s").list(MOUNT_PATH)).toEqual([]);
  });

  it("missing object fails naming the key", async () => {
    const provider = recordingProvider();
    const version = randomVersion();
    const target = await targetFor(version);
    await env.SKILLS_BUCKET.delete(objectKey("", version, "review/SKILL.md"));

    await expect(copyVersion(provider.get("s"), bucket, target)).rejects.toThrow(
      `versions/${version}/review/SKILL.md`,
    );
    expect(provider.sandbox("s").list(MOUNT_PATH)).toEqual([]);
  });

  it("existing tree is not overwritten", async () => {
    const provider = recordingProvider();
    const first = await targetFor(randomVersion());
    await copyVersion(provider.get("s"), bucket, first);

    await expect(
      copyVersion(provider.get("s"), bucket, await targetFor(randomVersion())),
    ).rejects.toThrow("exited with 1");
    expect(provider.sandbox("s").list(MOUNT_PATH).length).toBe(DEFAULT_FILES.length);
  });

  it("writes at most `concurrency` files at once", async () => {
    const provider = recordingProvider();
    const files = Array.from({ length: 10 }, (_, index) => ({
      path: `many/file-${index}.md`,
      content: `file ${index}\n`,
    }));
    const version = randomVersion();
    const written = await writeVersion(version, files);
    const inner = provider.get("s");
    let inFlight = 0;
    let maxInFlight = 0;
    const handle: SandboxHandle = {
      ...inner,
      writeFile: async (path, content) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Yield a few turns so other writers can start if the limit allowed them.
        for (let turn = 0; turn < 5; turn++) await Promise.resolve();
        await inner.writeFile(path, content);
        inFlight--;
      },
    };
    const target: CopyTarget = {
      sessionId: "s",
      version,
      manifestKey: written.manifestKey,
      manifestSha256: written.manifestSha256,
      knownFile: knownFileOf(written.manifest),
      manifest: written.manifest,
      mountPath: MOUNT_PATH,
      rootPrefix: "",
    };

    await copyVersion(handle, bucket, target, { concurrency: 3 });

    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(provider.sandbox("s").list(MOUNT_PATH).length).toBe(10);
  });

  it("remove deletes the read-only tree", async () => {
    const provider = recordingProvider();
    const target = await targetFor(randomVersion());
    await copyVersion(provider.get("s"), bucket, target);

    await removeCopiedVersion(provider.get("s"), target);

    expect(provider.sandbox("s").list(MOUNT_PATH)).toEqual([]);
  });
});

describe("knownFileOf", () => {
  it("prefers the first skill's SKILL.md", async () => {
    const { manifest } = await targetFor(randomVersion());

    expect(knownFileOf(manifest)).toBe("commit-messages/SKILL.md");
    expect(knownFileOf({ ...manifest, skills: [] })).toBe("commit-messages/SKILL.md");
    expect(knownFileOf({ ...manifest, skills: [], files: [] })).toBeUndefined();
  });
});

describe("knownFilePath", () => {
  it("joins the known file to the mount path", async () => {
    const target = await targetFor(randomVersion());

    expect(knownFilePath(target)).toBe(`${MOUNT_PATH}/commit-messages/SKILL.md`);
    expect(knownFilePath({ ...target, knownFile: undefined })).toBeUndefined();
    expect(() => knownFilePath({ ...target, knownFile: "../outside/SKILL.md" })).toThrow(
      /Unsafe path/,
    );
  });
});
