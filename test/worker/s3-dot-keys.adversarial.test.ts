/**
 * A URL path cannot carry a `.` or `..` segment: URL parsing removes it,
 * even percent-encoded. A listed key with such a segment must fail, not
 * address the key that the shortened path names.
 */

import { AwsClient } from "aws4fetch";
import { describe, expect, inject, it } from "vitest";
import "./support/provided-context.ts";
import { S3Bucket } from "../../worker/bucket/s3.ts";

const server = inject("s3");

const client = new AwsClient({
  accessKeyId: server.accessKeyId,
  secretAccessKey: server.secretAccessKey,
  service: "s3",
  region: "us-east-1",
});

function bucket(): S3Bucket {
  return new S3Bucket(
    { endpoint: server.endpoint, bucket: server.bucket, region: "us-east-1" },
    () => ({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }),
  );
}

describe("S3Bucket keys with dot segments", () => {
  it("delete leaves the shortened key alone", async () => {
    const root = `dots-${crypto.randomUUID()}`;
    const kept = `${root}/heads/production.json`;
    const put = await client.fetch(`${server.endpoint}/${server.bucket}/${kept}`, {
      method: "PUT",
      body: "{}",
    });
    expect(put.status).toBe(200);

    const deleting = bucket().delete([`${root}/versions/abc/../../heads/production.json`]);

    await expect(deleting).rejects.toThrow('"." or ".." segment');
    expect(await bucket().head(kept)).not.toBeNull();
  });

  it("get rejects a key with a dot segment", async () => {
    await expect(bucket().get("versions/abc/./SKILL.md")).rejects.toThrow('"." or ".." segment');
  });
});

describe("S3Bucket errors", () => {
  it("do not repeat the access key id", async () => {
    const accessKeyId = "AKIDREVIEWSHOULDNOTAPPEAR";
    const wrong = new S3Bucket(
      { endpoint: server.endpoint, bucket: server.bucket, region: "us-east-1" },
      () => ({ accessKeyId, secretAccessKey: "wrong-secret-key" }),
    );

    const error = await wrong.list("").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain("HTTP 403");
    expect(String(error)).not.toContain(accessKeyId);
  });
});
