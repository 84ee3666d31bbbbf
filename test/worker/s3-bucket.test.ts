import { describe, expect, inject, it } from "vitest";
import { testApp } from "./support/core-app.ts";
import "./support/provided-context.ts";
import { AwsClient } from "aws4fetch";
import { manifestKey } from "../../core/keys.ts";
import { buildManifest, serializeManifest } from "../../core/manifest.ts";
import { S3Bucket } from "../../worker/bucket/s3.ts";
import { listAll } from "../../worker/bucket/types.ts";
import { deliver, notificationFor, randomVersion, signedDelivery } from "./support/publish.ts";

const server = inject("s3");

function bucket(): S3Bucket {
  return new S3Bucket(
    { endpoint: server.endpoint, bucket: server.bucket, region: "us-east-1" },
    () => ({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }),
  );
}

const client = new AwsClient({
  accessKeyId: server.accessKeyId,
  secretAccessKey: server.secretAccessKey,
  service: "s3",
  region: "us-east-1",
});

async function put(
  key: string,
  body: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name}`] = value;
  const url = `${server.endpoint}/${server.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const response = await client.fetch(url, { method: "PUT", body, headers });
  expect(response.status, key).toBe(200);
}

describe("S3Bucket", () => {
  it("gets text, size and metadata", async () => {
    const prefix = `get-${crypto.randomUUID()}/`;
    await put(`${prefix}a.txt`, "hello", { sha256: "abc", mode: "33188" });
    const object = await bucket().get(`${prefix}a.txt`);
    expect(object).not.toBeNull();
    expect(object?.size).toBe(5);
    expect(object?.metadata).toEqual({ sha256: "abc", mode: "33188" });
    expect(await object?.text()).toBe("hello");
  });

  it("returns null for a missing key", async () => {
    expect(await bucket().get(`missing-${crypto.randomUUID()}`)).toBeNull();
    expect(await bucket().head(`missing-${crypto.randomUUID()}`)).toBeNull();
  });

  it("heads an object", async () => {
    const key = `head-${crypto.randomUUID()}/b.bin`;
    await put(key, "12345678", { sha256: "def" });
    expect(await bucket().head(key)).toEqual({ size: 8, metadata: { sha256: "def" } });
  });

  // NOTE: s3rver 3.7 encrypts continuation tokens with DES, which Node 24's
  // OpenSSL does not provide, so a truncated listing fails with HTTP 500.
  // These tests therefore page by cursor only against R2.
  it("lists keys with special characters", async () => {
    const prefix = `list-${crypto.randomUUID()}/`;
    const names = ["a & b.md", "c<d>.md", "e+f.md", "ü.md"];
    for (const name of names) await put(`${prefix}${name}`, name);
    const page = await bucket().list(prefix);
    expect(page.cursor).toBeUndefined();
    const all = await listAll(bucket(), prefix);
    expect(all.sort()).toEqual(names.map((name) => `${prefix}${name}`).sort());
  });

  it("deletes keys and ignores missing ones", async () => {
    const prefix = `delete-${crypto.randomUUID()}/`;
    await put(`${prefix}one`, "1");
    await put(`${prefix}two`, "2");
    await bucket().delete([`${prefix}one`, `${prefix}two`, `${prefix}never`]);
    expect(await listAll(bucket(), prefix)).toEqual([]);
  });

  it("fails with the status on bad credentials", async () => {
    const wrong = new S3Bucket(
      { endpoint: server.endpoint, bucket: server.bucket, region: "us-east-1" },
      () => ({ accessKeyId: "WRONG", secretAccessKey: "WRONG" }),
    );
    await expect(wrong.list("")).rejects.toThrow(/HTTP 403/);
  });
});

describe("webhook over the S3 adapter", () => {
  it("reads the manifest through S3", async () => {
    const version = randomVersion();
    const manifest = buildManifest({
      version,
      repository: null,
      commit: {
        sha: version,
        message: "Publish",
        author: { name: "Tester", email: "tester@example.com" },
        timestamp: "2026-01-01T00:00:00Z",
        dirty: false,
      },
      skills: [],
      files: [],
    });
    const { text, sha256 } = await serializeManifest(manifest);
    await put(manifestKey("", version), text);
    const { app } = testApp({}, bucket());
    const body = JSON.stringify(
      notificationFor({ version, manifestKey: manifestKey("", version), manifestSha256: sha256 }),
    );
    const response = await deliver(app, await signedDelivery(body));
    expect(response.status).toBe(200);
    const missing = randomVersion();
    const absent = JSON.stringify(
      notificationFor({
        version: missing,
        manifestKey: manifestKey("", missing),
        manifestSha256: sha256,
      }),
    );
    expect((await deliver(app, await signedDelivery(absent))).status).toBe(503);
  });
});
