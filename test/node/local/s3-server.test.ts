import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBucketClient } from "../../../local/bucket.ts";
import { type LocalS3, S3RVER_CREDENTIAL, startLocalS3 } from "../../../local/s3-server.ts";
import { reencodeCopySource } from "../../../local/s3rver-copy-source.ts";
import { copySource } from "../../../publisher/s3-client.ts";

const KEYS = [
  "v/SKILL.md",
  "v/references/http/errors.md",
  "v/references/http/status.md",
  "v/references/naming/resources.md",
  "v/scripts/run.sh",
];

describe("local s3 server", () => {
  let directory: string;
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "r2-skills-s3-"));
    s3 = await startLocalS3({ directory, bucket: "skills", port: 0 });
    client = createBucketClient({
      endpoint: s3.endpoint,
      bucket: "skills",
      region: "us-east-1",
      accessKeyId: S3RVER_CREDENTIAL,
      secretAccessKey: S3RVER_CREDENTIAL,
    });
    for (const key of KEYS) {
      await client.send(new PutObjectCommand({ Bucket: "skills", Key: key, Body: key }));
    }
  });

  afterAll(async () => {
    await s3.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("lists nested-only folders as prefixes", async () => {
    const listing = await client.send(
      new ListObjectsCommand({ Bucket: "skills", Prefix: "v/", Delimiter: "/" }),
    );
    expect(listing.Contents?.map((object) => object.Key)).toEqual(["v/SKILL.md"]);
    expect(listing.CommonPrefixes?.map((entry) => entry.Prefix)).toEqual([
      "v/references/",
      "v/scripts/",
    ]);
  });

  it("lists one level below a prefix", async () => {
    const listing = await client.send(
      new ListObjectsV2Command({ Bucket: "skills", Prefix: "v/references/", Delimiter: "/" }),
    );
    expect(listing.Contents ?? []).toEqual([]);
    expect(listing.CommonPrefixes?.map((entry) => entry.Prefix)).toEqual([
      "v/references/http/",
      "v/references/naming/",
    ]);
  });

  it("lists every key without a delimiter", async () => {
    const listing = await client.send(new ListObjectsV2Command({ Bucket: "skills", Prefix: "v/" }));
    expect(listing.Contents?.map((object) => object.Key)).toEqual(KEYS);
  });

  it("pages a listing past 1000 keys", async () => {
    const keys = Array.from(
      { length: 1010 },
      (_, index) => `many/${String(index).padStart(4, "0")}`,
    );
    for (let start = 0; start < keys.length; start += 50) {
      await Promise.all(
        keys
          .slice(start, start + 50)
          .map((key) =>
            client.send(new PutObjectCommand({ Bucket: "skills", Key: key, Body: "" })),
          ),
      );
    }
    const first = await client.send(
      new ListObjectsV2Command({ Bucket: "skills", Prefix: "many/" }),
    );
    expect(first.KeyCount).toBe(1000);
    const second = await client.send(
      new ListObjectsV2Command({
        Bucket: "skills",
        Prefix: "many/",
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.Contents?.map((object) => object.Key)).toEqual(keys.slice(1000));
  });

  it("copies the source key, not a look-alike", async () => {
    // Decoded with decodeURI alone, the source `a%2Bb.txt` would name the second key.
    const pairs = [
      ["copy/a+b.txt", "copy/a%2Bb.txt"],
      ["copy/x&y#z?.md", "copy/x%26y%23z%3F.md"],
    ];
    for (const [key, lookAlike] of pairs) {
      for (const name of [key, lookAlike]) {
        await client.send(new PutObjectCommand({ Bucket: "skills", Key: name, Body: name }));
      }
      await client.send(
        new CopyObjectCommand({
          Bucket: "skills",
          Key: `${key}.copy`,
          CopySource: copySource("skills", key ?? ""),
        }),
      );
      const copy = await client.send(
        new GetObjectCommand({ Bucket: "skills", Key: `${key}.copy` }),
      );
      expect(await copy.Body?.transformToString(), key).toBe(key);
    }
  });

  it("keeps objects across restarts", async () => {
    await s3.close();
    s3 = await startLocalS3({ directory, bucket: "skills", port: s3.port });
    const listing = await client.send(new ListObjectsV2Command({ Bucket: "skills", Prefix: "v/" }));
    expect(listing.KeyCount).toBe(KEYS.length);
  });

  it("names the port when it is in use", async () => {
    await expect(startLocalS3({ directory, bucket: "skills", port: s3.port })).rejects.toThrow(
      `Port ${s3.port} on 127.0.0.1 is in use`,
    );
  });
});

describe("reencodeCopySource", () => {
  it("lets decodeURI yield the decoded key", () => {
    for (const key of ["b/a+b.txt", "b/100% done.md", "b/x&y#z?.md", "b/日本/🎉 !'()*.txt"]) {
      const header = copySource("b", key.slice(2));
      expect(decodeURI(reencodeCopySource(header) ?? ""), key).toBe(key);
    }
  });

  it("leaves invalid percent-encoding alone", () => {
    expect(reencodeCopySource("b/%E0%A4%A")).toBeUndefined();
  });
});
