import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/logger.ts";
import { PublishError } from "../../../publisher/errors.ts";
import { S3Store } from "../../../publisher/store.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";

let server: S3Server;
let store: S3Store;

beforeAll(async () => {
  server = await startS3Server();
  store = new S3Store(
    {
      bucket: "no-such-bucket",
      endpoint: server.endpoint,
      region: "auto",
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      prefix: "",
      concurrency: 1,
      forcePathStyle: true,
    },
    { logger: silentLogger, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
  );
});

afterAll(async () => {
  store.destroy();
  await server.close();
});

describe("S3Store on a missing bucket", () => {
  // A dry run reads the channel's head with getText. If a missing bucket read
  // as a missing key, a bucket name with a typo would plan a first publish.
  it("getText rejects the read", async () => {
    const error = await store.getText("heads/production.json").then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PublishError);
    expect(String((error as Error).message)).toContain("NoSuchBucket");
    expect(String((error as Error).message)).toContain('"no-such-bucket"');
  });
});
