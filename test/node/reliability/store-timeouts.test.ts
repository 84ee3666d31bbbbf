import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/logger.ts";
import { PublishError } from "../../../publisher/errors.ts";
import { S3Store } from "../../../publisher/store.ts";
import type { StoreSettings } from "../../../publisher/types.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";

const PART_BYTES = 5 * 1024 * 1024;
const TIMEOUT_MS = 400;

let s3: S3Server;

beforeAll(async () => {
  s3 = await startS3Server();
});

afterAll(async () => {
  await s3.close();
});

function storeThrough(proxy: FaultProxy): S3Store {
  const settings: StoreSettings = {
    bucket: s3.bucket,
    endpoint: proxy.url,
    region: "us-east-1",
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    prefix: "",
    concurrency: 4,
    forcePathStyle: true,
    requestTimeoutMs: TIMEOUT_MS,
  };
  return new S3Store(settings, {
    logger: silentLogger,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
    multipartThresholdBytes: PART_BYTES,
  });
}

describe("store timeouts", () => {
  it("fails a hung single put", async () => {
    const proxy = await startFaultProxy({ target: s3.endpoint, seed: 1, rates: { hang: 1 } });
    const store = storeThrough(proxy);
    try {
      await expect(
        store.put("hang/single", new Uint8Array(10), { contentType: "text/plain", metadata: {} }),
      ).rejects.toThrow(PublishError);
      expect(proxy.stats.faults.hang).toBe(3);
    } finally {
      store.destroy();
      await proxy.close();
    }
  });

  // NOTE: a retried multipart part is not tested here: s3rver 3.7 answers
  // AbortMultipartUpload with 405, which replaces the part's error.
  it("fails a hung multipart part", async () => {
    // Only part uploads hang; creating and aborting the upload go through.
    const proxy = await startFaultProxy({
      target: s3.endpoint,
      seed: 1,
      rates: { hang: 1 },
      filter: ({ url }) => url.includes("partNumber="),
    });
    const store = storeThrough(proxy);
    try {
      const body = new Uint8Array(PART_BYTES * 2 + 10);
      await expect(
        store.put("hang/multipart", body, {
          contentType: "application/octet-stream",
          metadata: {},
        }),
      ).rejects.toThrow(PublishError);
      expect(proxy.stats.faults.hang).toBeGreaterThanOrEqual(3);
    } finally {
      store.destroy();
      await proxy.close();
    }
  });
});
