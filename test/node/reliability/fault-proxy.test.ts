import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultProxy, type FaultRates, startFaultProxy } from "../support/fault-proxy.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";

let s3: S3Server;

beforeAll(async () => {
  s3 = await startS3Server();
});

afterAll(async () => {
  await s3.close();
});

function clientFor(endpoint: string, timeoutMs = 2000): S3Client {
  return new S3Client({
    region: "auto",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    maxAttempts: 1,
    // socketTimeout is the idle timeout; requestTimeout alone only logs a
    // warning in @smithy/node-http-handler 4.x unless throwOnRequestTimeout is set.
    requestHandler: { socketTimeout: timeoutMs, connectionTimeout: 1000 },
  });
}

async function exists(key: string): Promise<boolean> {
  const direct = clientFor(s3.endpoint);
  try {
    await direct.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    return true;
  } catch {
    return false;
  } finally {
    direct.destroy();
  }
}

async function withProxy<T>(
  rates: FaultRates,
  work: (proxy: FaultProxy, client: S3Client) => Promise<T>,
): Promise<T> {
  const proxy = await startFaultProxy({ target: s3.endpoint, seed: 1, rates });
  const client = clientFor(proxy.url, 500);
  try {
    return await work(proxy, client);
  } finally {
    client.destroy();
    await proxy.close();
  }
}

function put(key: string) {
  return new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "hello fault proxy" });
}

async function failureOf(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error: unknown) {
    const shape = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { name: shape.name ?? "Error", status: shape.$metadata?.httpStatusCode };
  }
  throw new Error("the request succeeded through a proxy that must fail it");
}

describe("fault proxy", () => {
  it.each([
    ["error500", 500, "InternalError"],
    ["slowDown503", 503, "SlowDown"],
    ["tooMany429", 429, "TooManyRequests"],
  ] as const)("answers %s without forwarding", async (kind, status, name) => {
    await withProxy({ [kind]: 1 }, async (proxy, client) => {
      const failure = await failureOf(client.send(put(`proxy/${kind}`)));
      expect(failure.status).toBe(status);
      expect(failure.name).toBe(name);
      expect(proxy.stats.faults[kind]).toBe(1);
      expect(await exists(`proxy/${kind}`)).toBe(false);
    });
  });

  it("hangs until the client times out", async () => {
    await withProxy({ hang: 1 }, async (proxy, client) => {
      const failure = await failureOf(client.send(put("proxy/hang")));
      expect(failure.status).toBeUndefined();
      expect(proxy.stats.faults.hang).toBe(1);
      expect(await exists("proxy/hang")).toBe(false);
    });
  });

  it("drops before the server sees the request", async () => {
    await withProxy({ dropBefore: 1 }, async (proxy, client) => {
      const failure = await failureOf(client.send(put("proxy/drop-before")));
      expect(failure.status).toBeUndefined();
      expect(proxy.stats.faults.dropBefore).toBe(1);
      expect(await exists("proxy/drop-before")).toBe(false);
    });
  });

  it("drops after the server applied a write", async () => {
    await withProxy({ dropAfter: 1 }, async (proxy, client) => {
      const failure = await failureOf(client.send(put("proxy/drop-after")));
      expect(failure.status).toBeUndefined();
      expect(proxy.stats.faults.dropAfter).toBe(1);
      expect(await exists("proxy/drop-after")).toBe(true);
    });
  });

  it("cuts a response body halfway", async () => {
    const direct = clientFor(s3.endpoint);
    await direct.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: "proxy/body", Body: "x".repeat(10_000) }),
    );
    direct.destroy();
    await withProxy({ dropAfter: 1 }, async (_proxy, client) => {
      const read = async () => {
        const response = await client.send(
          new GetObjectCommand({ Bucket: s3.bucket, Key: "proxy/body" }),
        );
        return response.Body?.transformToString();
      };
      await expect(read()).rejects.toThrow();
    });
  });

  it("draws the same faults for the same requests", async () => {
    const outcomes: string[][] = [];
    for (let run = 0; run < 2; run++) {
      await withProxy({ error500: 0.3, slowDown503: 0.2 }, async (_proxy, client) => {
        const results = await Promise.all(
          Array.from({ length: 20 }, async (_, index) => {
            try {
              await client.send(put(`proxy/same/${index}`));
              return "ok";
            } catch (error: unknown) {
              return (error as Error).name;
            }
          }),
        );
        outcomes.push(results);
      });
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toContain("ok");
    expect(outcomes[0]).toContain("InternalError");
  });
});
