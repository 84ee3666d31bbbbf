import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/logger.ts";
import { mountResponseSchema, sandboxStatusSchema } from "../../../core/sandbox-host.ts";
import { type BucketAccess, createBucketClient } from "../../../local/bucket.ts";
import {
  detectS3fs,
  isMountPoint,
  listMountPoints,
  type MountMode,
  pollUntil,
  writePasswordFile,
} from "../../../local/mount.ts";
import { type LocalS3, S3RVER_CREDENTIAL, startLocalS3 } from "../../../local/s3-server.ts";
import { type SandboxHost, startSandboxHost } from "../../../local/sandbox-host.ts";
import { type FixtureFile, type UploadedVersion, uploadVersion } from "./fixtures.ts";

const TOKEN = "test-host-token-0123456789";
const ROOT = "team/";
const VERSION_A = "a".repeat(40);
const VERSION_B = "b".repeat(40);
const BAD_VERSION = "c".repeat(40);
const NO_MANIFEST_VERSION = "d".repeat(40);

const FILES_A: FixtureFile[] = [
  { path: "alpha/SKILL.md", content: "---\nname: alpha\ndescription: A.\n---\nAlpha\n" },
  { path: "alpha/scripts/run.sh", content: "#!/bin/sh\necho alpha\n", executable: true },
  // Only a subfolder under references/: s3rver's own listing would hide it from s3fs.
  { path: "alpha/references/http/errors.md", content: "# Errors\n" },
  { path: "beta/SKILL.md", content: "---\nname: beta\ndescription: B.\n---\nBeta\n" },
];

const s3fs = await detectS3fs();
if (!s3fs.available) console.warn(`s3fs not available: tested copy mode only (${s3fs.reason})`);

async function walk(root: string, relative = ""): Promise<string[]> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await walk(root, path)));
    else files.push(path);
  }
  return files.sort();
}

interface Harness {
  state: string;
  s3: LocalS3;
  access: BucketAccess;
  versionA: UploadedVersion;
  versionB: UploadedVersion;
  corrupt: UploadedVersion;
  /** A version whose manifest was deleted. */
  noManifest: UploadedVersion;
}

let harness: Harness;

beforeAll(async () => {
  const state = await mkdtemp(join(tmpdir(), "r2-skills-host-"));
  const s3 = await startLocalS3({ directory: join(state, "bucket"), bucket: "skills", port: 0 });
  const access: BucketAccess = {
    endpoint: s3.endpoint,
    bucket: "skills",
    region: "us-east-1",
    accessKeyId: S3RVER_CREDENTIAL,
    secretAccessKey: S3RVER_CREDENTIAL,
  };
  const client = createBucketClient(access);
  const versionA = await uploadVersion(client, "skills", ROOT, VERSION_A, FILES_A);
  const versionB = await uploadVersion(client, "skills", ROOT, VERSION_B, [
    { path: "beta/SKILL.md", content: "---\nname: beta\ndescription: B2.\n---\nBeta 2\n" },
  ]);
  const corrupt = await uploadVersion(client, "skills", ROOT, BAD_VERSION, [
    { path: "gamma/SKILL.md", content: "---\nname: gamma\ndescription: G.\n---\n" },
  ]);
  await client.send(
    new PutObjectCommand({
      Bucket: "skills",
      Key: `${corrupt.prefix}gamma/SKILL.md`,
      Body: "tampered",
    }),
  );
  const noManifest = await uploadVersion(client, "skills", ROOT, NO_MANIFEST_VERSION, [
    { path: "delta/SKILL.md", content: "---\nname: delta\ndescription: D.\n---\n" },
  ]);
  await client.send(new DeleteObjectCommand({ Bucket: "skills", Key: noManifest.manifestKey }));
  harness = { state, s3, access, versionA, versionB, corrupt, noManifest };
});

afterAll(async () => {
  await harness.s3.close();
  await rm(harness.state, { recursive: true, force: true });
});

async function startHost(mode: MountMode): Promise<SandboxHost> {
  const passwordFile = join(harness.state, `s3fs-${mode}.passwd`);
  await writePasswordFile(passwordFile, harness.access);
  return await startSandboxHost({
    root: join(harness.state, `sessions-${mode}`),
    access: harness.access,
    client: createBucketClient(harness.access),
    rootPrefix: ROOT,
    mode,
    passwordFile,
    logger: silentLogger,
    token: TOKEN,
    port: 0,
  });
}

function call(host: SandboxHost, method: string, path: string, body?: unknown, token = TOKEN) {
  return fetch(`${host.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function mountBody(version: UploadedVersion) {
  return {
    version: version.version,
    prefix: version.prefix,
    manifestKey: version.manifestKey,
    manifestSha256: version.manifestSha256,
    mountPath: ".claude/skills",
    readOnly: true,
  };
}

function describeMode(mode: MountMode) {
  const skip = mode === "s3fs" && !s3fs.available;
  describe.skipIf(skip)(`sandbox host in ${mode} mode`, () => {
    let host: SandboxHost;

    beforeAll(async () => {
      host = await startHost(mode);
    });

    afterAll(async () => {
      await host.close();
    });

    it("mounts the version read-only with modes", async () => {
      const response = await call(host, "POST", "/sandboxes/s1/mount", mountBody(harness.versionA));
      expect(response.status).toBe(200);
      const mounted = mountResponseSchema.parse(await response.json());
      expect(mounted.mode).toBe(mode);
      expect(mounted.alreadyMounted).toBe(false);
      expect(mounted.path.endsWith("/s1/workspace/.claude/skills")).toBe(true);
      expect(await walk(mounted.path)).toEqual(FILES_A.map((file) => file.path).sort());
      for (const file of FILES_A) {
        expect(await readFile(join(mounted.path, file.path), "utf8")).toBe(file.content);
      }
      const script = await stat(join(mounted.path, "alpha/scripts/run.sh"));
      expect(script.mode & 0o111).toBe(0o111);
      const skillFile = await stat(join(mounted.path, "alpha/SKILL.md"));
      expect(skillFile.mode & 0o111).toBe(0);
      if (mode === "s3fs") expect(await isMountPoint(mounted.path)).toBe(true);
      if (mode === "copy") {
        expect(skillFile.mode & 0o222).toBe(0);
        expect((await stat(join(mounted.path, "alpha"))).mode & 0o222).toBe(0);
      }
    });

    it("repeats a mount of the same version", async () => {
      const response = await call(host, "POST", "/sandboxes/s1/mount", mountBody(harness.versionA));
      expect(response.status).toBe(200);
      expect(mountResponseSchema.parse(await response.json()).alreadyMounted).toBe(true);
    });

    it("rejects another version over a mount", async () => {
      const response = await call(host, "POST", "/sandboxes/s1/mount", mountBody(harness.versionB));
      expect(response.status).toBe(409);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code).toBe("already_mounted");
    });

    it("keeps sessions on their own versions", async () => {
      const response = await call(host, "POST", "/sandboxes/s2/mount", mountBody(harness.versionB));
      expect(response.status).toBe(200);
      const mounted = mountResponseSchema.parse(await response.json());
      expect(await walk(mounted.path)).toEqual(["beta/SKILL.md"]);
      const first = sandboxStatusSchema.parse(
        await (await call(host, "GET", "/sandboxes/s1")).json(),
      );
      expect(first.mount?.version).toBe(VERSION_A);
      expect(await walk(first.mount?.path ?? "")).toContain("alpha/scripts/run.sh");
    });

    it("answers exists for workspace paths", async () => {
      const yes = await call(host, "POST", "/sandboxes/s1/exists", {
        path: ".claude/skills/alpha/SKILL.md",
      });
      expect(await yes.json()).toEqual({ exists: true });
      const no = await call(host, "POST", "/sandboxes/s1/exists", { path: ".claude/skills/nope" });
      expect(await no.json()).toEqual({ exists: false });
      const outside = await call(host, "POST", "/sandboxes/s1/exists", {
        path: "../../etc/passwd",
      });
      expect(outside.status).toBe(400);
    });

    it("starts processes with the session environment", async () => {
      const env = await call(host, "POST", "/sandboxes/s1/env", {
        env: { GREETING: "hello from s1" },
      });
      expect(env.status).toBe(200);
      const started = await call(host, "POST", "/sandboxes/s1/processes", {
        command: 'printf "%s" "$GREETING" > greeting.txt',
      });
      expect(started.status).toBe(200);
      const { pid } = (await started.json()) as { pid: number };
      expect(pid).toBeGreaterThan(0);
      const status = sandboxStatusSchema.parse(
        await (await call(host, "GET", "/sandboxes/s1")).json(),
      );
      const output = join(status.workspace, "greeting.txt");
      await pollUntil(
        async () => (await readFile(output, "utf8").catch(() => "")) === "hello from s1",
        10_000,
        () => `${output} never got the greeting`,
      );
      expect(await readFile(output, "utf8")).toBe("hello from s1");
    });

    it("removes the sandbox and its mount", async () => {
      const status = sandboxStatusSchema.parse(
        await (await call(host, "GET", "/sandboxes/s2")).json(),
      );
      const response = await call(host, "DELETE", "/sandboxes/s2");
      expect(response.status).toBe(200);
      expect((await call(host, "GET", "/sandboxes/s2")).status).toBe(404);
      await expect(stat(status.workspace)).rejects.toThrow();
      expect(await listMountPoints()).not.toContain(status.mount?.path);
      expect((await call(host, "DELETE", "/sandboxes/s2")).status).toBe(404);
    });

    it("fails a version with a tampered file", async () => {
      const response = await call(host, "POST", "/sandboxes/s3/mount", mountBody(harness.corrupt));
      if (mode === "copy") {
        expect(response.status).toBe(500);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("mount_failed");
        expect(body.error.message).toContain("gamma/SKILL.md");
        // The failed first mount removes the sandbox and its folder.
        expect((await call(host, "GET", "/sandboxes/s3")).status).toBe(404);
        expect(await readdir(join(harness.state, "sessions-copy")).catch(() => [])).not.toContain(
          "s3",
        );
      } else {
        // s3fs serves objects as stored; only copy mode checks SHA-256.
        expect(response.status).toBe(200);
      }
    });

    it("mounts by the known file without a manifest", async () => {
      const response = await call(host, "POST", "/sandboxes/s4/mount", {
        ...mountBody(harness.noManifest),
        knownFile: "delta/SKILL.md",
      });
      if (mode === "s3fs") {
        expect(response.status).toBe(200);
        const mounted = mountResponseSchema.parse(await response.json());
        expect(await walk(mounted.path)).toEqual(["delta/SKILL.md"]);
      } else {
        // Copy mode writes the files the manifest lists, so it needs the manifest.
        expect(response.status).toBe(404);
        const body = (await response.json()) as { error: { code: string } };
        expect(body.error.code).toBe("manifest_unavailable");
      }
    });

    it("rejects a known file the version lacks", async () => {
      const response = await call(host, "POST", "/sandboxes/s5/mount", {
        ...mountBody(harness.versionB),
        knownFile: "missing/SKILL.md",
      });
      if (mode === "s3fs") {
        expect(response.status).toBe(404);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("version_incomplete");
        expect(body.error.message).toContain(`${harness.versionB.prefix}missing/SKILL.md`);
        // The failed first mount leaves no sandbox behind.
        expect((await call(host, "GET", "/sandboxes/s5")).status).toBe(404);
      } else {
        // Copy mode checks the manifest's own first SKILL.md instead.
        expect(response.status).toBe(200);
      }
    });

    it("rejects a manifest the registry did not record", async () => {
      const response = await call(host, "POST", "/sandboxes/s6/mount", {
        ...mountBody(harness.versionA),
        manifestSha256: "0".repeat(64),
      });
      expect(response.status).toBe(502);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("manifest_mismatch");
      expect(body.error.message).toContain(harness.versionA.manifestKey);
      expect((await call(host, "GET", "/sandboxes/s6")).status).toBe(404);
    });

    it("leaves no mount when a removal races it", async () => {
      const first = await call(host, "POST", "/sandboxes/s7/mount", mountBody(harness.versionB));
      expect(first.status).toBe(200);
      await call(host, "DELETE", "/sandboxes/s7");
      const [removed, mounted] = await Promise.all([
        call(host, "DELETE", "/sandboxes/s7"),
        call(host, "POST", "/sandboxes/s7/mount", mountBody(harness.versionA)),
      ]);
      expect([200, 404]).toContain(removed.status);
      const status = await call(host, "GET", "/sandboxes/s7");
      if (mounted.status === 200) {
        const sandbox = sandboxStatusSchema.parse(await status.json());
        expect(sandbox.mount?.version).toBe(VERSION_A);
        expect(await call(host, "DELETE", "/sandboxes/s7")).toHaveProperty("status", 200);
      } else {
        expect(mounted.status).toBe(404);
        expect(status.status).toBe(404);
      }
      const points = await listMountPoints();
      expect(points.filter((point) => point.includes("/s7/"))).toEqual([]);
    });

    it("unmounts everything on close", async () => {
      const status = sandboxStatusSchema.parse(
        await (await call(host, "GET", "/sandboxes/s1")).json(),
      );
      await host.close();
      expect(await listMountPoints()).not.toContain(status.mount?.path);
      await expect(stat(status.workspace)).rejects.toThrow();
      host = await startHost(mode);
    });
  });
}

describeMode("copy");
describeMode("s3fs");

describe("sandbox host requests", () => {
  let host: SandboxHost;

  beforeAll(async () => {
    host = await startHost("copy");
  });

  afterAll(async () => {
    await host.close();
  });

  it("rejects a wrong token", async () => {
    const response = await call(host, "GET", "/sandboxes/s1", undefined, "wrong");
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("unauthorized");
  });

  it("rejects a prefix outside the root", async () => {
    const response = await call(host, "POST", "/sandboxes/s1/mount", {
      ...mountBody(harness.versionA),
      prefix: `versions/${VERSION_A}/`,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("invalid_prefix");
  });

  it("rejects an unsafe mount path", async () => {
    const response = await call(host, "POST", "/sandboxes/s1/mount", {
      ...mountBody(harness.versionA),
      mountPath: "../outside",
    });
    expect(response.status).toBe(400);
  });

  it("rejects an invalid session id", async () => {
    const response = await call(host, "GET", "/sandboxes/-bad");
    expect(response.status).toBe(400);
  });

  it("returns 404 for an unknown session", async () => {
    expect((await call(host, "GET", "/sandboxes/unknown")).status).toBe(404);
    expect((await call(host, "POST", "/sandboxes/unknown/env", { env: {} })).status).toBe(404);
  });

  it("rejects invalid environment names", async () => {
    await call(host, "POST", "/sandboxes/envs/mount", mountBody(harness.versionB));
    const response = await call(host, "POST", "/sandboxes/envs/env", { env: { "BAD NAME": "x" } });
    expect(response.status).toBe(400);
  });
});
