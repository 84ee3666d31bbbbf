import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../core/logger.ts";
import { PublishError } from "../../../publisher/errors.ts";
import type { RetryPolicy } from "../../../publisher/retry.ts";
import { copySource } from "../../../publisher/s3-client.ts";
import { S3Store } from "../../../publisher/store.ts";
import type { StoreSettings } from "../../../publisher/types.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";
import { type FaultProxy, s3Error, startFaultProxy } from "./fault-proxy.ts";

const FAST_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };
const MIB = 1024 * 1024;

let server: S3Server;
let store: S3Store;
let proxy: FaultProxy | undefined;
const stores: S3Store[] = [];

function settingsOf(endpoint: string, concurrency = 4): StoreSettings {
  return {
    bucket: server.bucket,
    endpoint,
    region: "auto",
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    prefix: "",
    concurrency,
    forcePathStyle: true,
  };
}

async function proxiedStore(
  options: { retry?: RetryPolicy; timeoutMs?: number; concurrency?: number } = {},
): Promise<{ store: S3Store; proxy: FaultProxy }> {
  proxy = await startFaultProxy(server.endpoint);
  const created = new S3Store(settingsOf(proxy.endpoint, options.concurrency), {
    logger: silentLogger,
    retry: options.retry ?? FAST_RETRY,
    timeoutMs: options.timeoutMs,
  });
  stores.push(created);
  return { store: created, proxy };
}

async function rejection(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof PublishError) return error;
    throw error;
  }
  throw new Error("expected the promise to reject");
}

const text = (value: string) => new TextEncoder().encode(value);
const putText = (target: S3Store, key: string, value = key) =>
  target.put(key, text(value), { contentType: "text/plain", metadata: { sha256: "0" } });

beforeAll(async () => {
  server = await startS3Server();
  store = new S3Store(settingsOf(server.endpoint), { logger: silentLogger });
});

afterEach(async () => {
  for (const created of stores.splice(0)) created.destroy();
  await proxy?.close();
  proxy = undefined;
});

afterAll(async () => {
  store.destroy();
  await server.close();
});

const KEYS = [
  "versions/a/plain.txt",
  "versions/a/with space.md",
  "versions/a/café/naïve.md",
  "versions/a/a+b&c%d.txt",
  "versions/a/100%25 literal.txt",
  "versions/a/q?x=1#frag.txt",
  "versions/a/日本語/ファイル.md",
  "versions/a/emoji 🎉/!'()*~.txt",
];

describe("S3Store", () => {
  it("round-trips keys byte for byte", async () => {
    for (const key of KEYS) await putText(store, key);
    for (const key of KEYS) expect(await store.getText(key)).toBe(key);
    expect((await store.list("versions/a/")).sort()).toEqual([...KEYS].sort());
  });

  it("copies keys with reserved and non-ASCII characters", async () => {
    for (const key of KEYS) {
      const target = key.replace("versions/a/", "versions/b/");
      expect(await store.copy(key, target), key).toBe("copied");
      expect(await store.getText(target)).toBe(key);
    }
  });

  it("encodes every copy source character", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    for (const key of KEYS) await proxied.copy(key, `${key}.copy`);
    const headers = seen.requests.map((request) => String(request.headers["x-amz-copy-source"]));
    expect(headers).toHaveLength(KEYS.length);
    KEYS.forEach((key, index) => {
      const header = headers[index] ?? "";
      expect(header).not.toMatch(/[ +&?#%](?![0-9A-F]{2})/);
      expect(decodeURIComponent(header)).toBe(`${server.bucket}/${key}`);
    });
    expect(copySource("b", "x/a+b c")).toBe("b/x/a%2Bb%20c");
  });

  it("returns missing when a copy source is absent", async () => {
    expect(await store.copy("versions/none/x.txt", "versions/c/x.txt")).toBe("missing");
    expect(await store.getText("versions/c/x.txt")).toBeUndefined();
  });

  it("reads head and metadata", async () => {
    await store.put("meta/one.sh", text("#!/bin/sh\n"), {
      contentType: "text/x-shellscript; charset=utf-8",
      metadata: { mode: "33261", sha256: "abc" },
    });
    const info = await store.head("meta/one.sh");
    expect(info?.size).toBe(10);
    expect(info?.contentType).toBe("text/x-shellscript; charset=utf-8");
    expect(info?.metadata).toEqual({ mode: "33261", sha256: "abc" });
    expect(await store.head("meta/none")).toBeUndefined();
  });

  it("sends the given SHA-256 as the payload hash", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    // A value the SDK would not compute from this body, so the header must be ours.
    const payloadHash = "ab".repeat(32);
    await proxied.put("hash/given.txt", text("body\n"), {
      contentType: "text/plain",
      metadata: {},
      sha256: payloadHash,
    });
    const put = seen.requests.find((request) => request.method === "PUT");
    expect(put?.headers["x-amz-content-sha256"]).toBe(payloadHash);
    expect(await store.getText("hash/given.txt")).toBe("body\n");
  });

  it("uploads large files in parts", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    const body = new Uint8Array(17 * MIB);
    for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
    await proxied.put("large/blob.bin", body, {
      contentType: "application/octet-stream",
      metadata: { sha256: "big", mode: "33188" },
    });
    expect(seen.requests.some((request) => request.url.includes("uploads"))).toBe(true);
    expect(seen.requests.filter((request) => request.url.includes("partNumber"))).toHaveLength(3);
    const stored = await store.getBytes("large/blob.bin");
    expect(stored?.byteLength).toBe(body.byteLength);
    expect(Buffer.compare(Buffer.from(stored ?? []), Buffer.from(body))).toBe(0);
    expect((await store.head("large/blob.bin"))?.metadata.sha256).toBe("big");
  });
});

describe("S3Store retries", () => {
  it("retries SlowDown with one layer", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    seen.decide = (_request, index) =>
      index < 2
        ? { kind: "respond", status: 503, body: s3Error("SlowDown", "Reduce your request rate") }
        : { kind: "forward" };
    await putText(proxied, "retry/slowdown.txt", "ok");
    expect(seen.requests).toHaveLength(3);
    expect(await store.getText("retry/slowdown.txt")).toBe("ok");
  });

  it("retries 429 and 500", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    seen.decide = (_request, index) =>
      index === 0
        ? { kind: "respond", status: 429, body: s3Error("TooManyRequests", "Slow down") }
        : index === 1
          ? { kind: "respond", status: 500, body: s3Error("InternalError", "Oops") }
          : { kind: "forward" };
    expect(await proxied.getText("retry/slowdown.txt")).toBe("ok");
    expect(seen.requests).toHaveLength(3);
  });

  it("retries a copy that failed after its 200 status", async () => {
    await putText(store, "retry/source.txt", "copy me");
    const { store: proxied, proxy: seen } = await proxiedStore();
    seen.decide = (_request, index) =>
      index === 0
        ? { kind: "respond", status: 200, body: s3Error("InternalError", "Copy failed") }
        : { kind: "forward" };

    expect(await proxied.copy("retry/source.txt", "retry/target.txt")).toBe("copied");

    expect(seen.requests).toHaveLength(2);
    expect(await store.getText("retry/target.txt")).toBe("copy me");
  });

  it("redacts credentials a server repeats", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    seen.decide = () => ({
      kind: "respond",
      status: 400,
      body: s3Error(
        "InvalidRequest",
        `Bad Credential=${server.accessKeyId}/20260101 and ${server.secretAccessKey}`,
      ),
    });

    const error = await rejection(putText(proxied, "retry/echo.txt"));

    expect(error.message).toContain("[redacted]");
    expect(error.message).not.toContain(server.accessKeyId);
  });

  it("says a request timed out", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore({
      timeoutMs: 200,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    seen.decide = () => ({ kind: "hang" });

    const error = await rejection(proxied.getText("retry/hung.txt"));

    expect(error.message).toContain("no response within 200 ms, so the request timed out");
    expect(seen.requests).toHaveLength(2);
  });

  it("gives up after the last attempt", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    seen.decide = () => ({ kind: "respond", status: 503, body: s3Error("SlowDown", "Busy") });
    const error = await rejection(putText(proxied, "retry/never.txt"));
    expect(error.code).toBe("store");
    expect(error.message).toContain("retry/never.txt");
    expect(error.message).toContain("SlowDown");
    expect(seen.requests).toHaveLength(FAST_RETRY.attempts);
  });

  it("fails at once on access denied", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore();
    seen.decide = () => ({
      kind: "respond",
      status: 403,
      body: s3Error("AccessDenied", "Access Denied"),
    });
    const error = await rejection(putText(proxied, "retry/denied.txt"));
    expect(error.message).toContain("AccessDenied");
    expect(seen.requests).toHaveLength(1);
  });

  it("ends queued and hanging requests on destroy", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore({ concurrency: 1 });
    seen.decide = () => ({ kind: "hang" });
    const hanging = rejection(proxied.getText("retry/hang.txt"));
    const queued = rejection(proxied.getText("retry/queued.txt"));
    await vi.waitFor(() => expect(seen.requests).toHaveLength(1));

    proxied.destroy();

    expect((await hanging).code).toBe("store");
    expect((await queued).message).toContain("closed before the request was sent");
    expect(seen.requests).toHaveLength(1);
  });

  it("times out a hanging request and retries", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore({ timeoutMs: 1000 });
    seen.decide = (_request, index) => (index === 0 ? { kind: "hang" } : { kind: "forward" });
    expect(await proxied.getText("retry/slowdown.txt")).toBe("ok");
    expect(seen.requests).toHaveLength(2);
  });

  it("retries refused connections", async () => {
    const closed = await startFaultProxy(server.endpoint);
    const endpoint = closed.endpoint;
    await closed.close();
    const refused = new S3Store(settingsOf(endpoint), { logger: silentLogger, retry: FAST_RETRY });
    stores.push(refused);
    const error = await rejection(refused.getText("retry/slowdown.txt"));
    expect(error.code).toBe("store");
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it("bounds requests in flight", async () => {
    const { store: proxied, proxy: seen } = await proxiedStore({ concurrency: 3 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => putText(proxied, `bounded/${i}.txt`)));
    expect(seen.requests).toHaveLength(30);
    expect(seen.maxActive).toBeLessThanOrEqual(3);
    expect(seen.maxActive).toBeGreaterThan(1);
  });
});
