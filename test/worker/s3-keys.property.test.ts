import { env } from "cloudflare:workers";
import { AwsClient } from "aws4fetch";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { checkRelativePath } from "../../core/paths.ts";
import { S3Bucket } from "../../worker/bucket/s3.ts";
import "./support/provided-context.ts";

const server = inject("s3");
const LONG = (env as unknown as Record<string, unknown>).R2_SKILLS_LONG === "1";

const bucket = new S3Bucket(
  { endpoint: server.endpoint, bucket: server.bucket, region: "us-east-1" },
  () => ({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }),
);
const client = new AwsClient({
  accessKeyId: server.accessKeyId,
  secretAccessKey: server.secretAccessKey,
  service: "s3",
  region: "us-east-1",
});

/** Segments that URL parsers and signers rewrite when a key is not encoded. */
const segment = fc.oneof(
  fc.constantFrom(
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2f",
    "a?b",
    "a#b",
    "+",
    "a b",
    "&=",
    "~",
    "é",
    "e\u0301",
    "日本",
    "😀",
    "...",
    "%",
  ),
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@% -]{1,12}$/),
);
const key = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("/"))
  .filter((path) => checkRelativePath(path) === undefined);

describe("S3Bucket key properties", () => {
  it("reads and lists every safe key as itself", async () => {
    let index = 0;
    await fc.assert(
      fc.asyncProperty(key, async (path) => {
        index += 1;
        const full = `keys-${index}/${path}`;
        const url = `${server.endpoint}/${server.bucket}/${full.split("/").map(encodeURIComponent).join("/")}`;
        const put = await client.fetch(url, { method: "PUT", body: full });
        expect(put.status, full).toBe(200);
        const object = await bucket.get(full);
        expect(await object?.text(), full).toBe(full);
        const listed = await bucket.list(`keys-${index}/`);
        expect(listed.keys, full).toEqual([full]);
      }),
      { seed: 20_261_204, numRuns: LONG ? 500 : 60 },
    );
  });
});
