import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../worker/app.ts";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import { loadConfig } from "../../worker/config.ts";
import { jsonLogger } from "../../worker/log.ts";
import { registryStub } from "../../worker/registry/stub.ts";
import { recordingProvider } from "../../worker/sandbox/recording.ts";
import { sessionStoreStub } from "../../worker/sessions/stub.ts";
import { notificationFor, putVersion, randomVersion, signedDelivery } from "./support/publish.ts";

/** Collects the JSON lines written to the console while `work` runs. */
async function captureLines(work: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const record = (text: unknown) => lines.push(String(text));
  vi.spyOn(console, "log").mockImplementation(record);
  vi.spyOn(console, "warn").mockImplementation(record);
  vi.spyOn(console, "error").mockImplementation(record);
  await work();
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("jsonLogger", () => {
  it("drops fields named like credentials", async () => {
    const [line] = await captureLines(async () => {
      jsonLogger({ service: "test" }).info("hello", {
        version: "v",
        token: "t",
        adminToken: "a",
        authorization: "Bearer x",
        WEBHOOK_SECRET: "s",
        apiKey: "k",
      });
    });
    expect(line).toEqual({ level: "info", message: "hello", service: "test", version: "v" });
  });
});

describe("request log", () => {
  it("writes one line with the ids and no secret", async () => {
    const app = createApp({
      config: loadConfig(env),
      bucket: new R2Bucket(env.SKILLS_BUCKET),
      registry: registryStub(env, `registry-${crypto.randomUUID()}`),
      sessions: sessionStoreStub(env, `sessions-${crypto.randomUUID()}`),
      sandboxes: recordingProvider(),
      now: () => Date.now(),
      logger: jsonLogger({ service: "r2-skills" }),
    });
    const stored = await putVersion(randomVersion());
    const delivery = await signedDelivery(JSON.stringify(notificationFor(stored)));
    const lines = await captureLines(async () => {
      const response = await app.request("http://worker.test/webhooks/publish", {
        method: "POST",
        body: delivery.body,
        headers: { ...delivery.headers, authorization: `Bearer ${env.ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-request-id")).toBeTruthy();
    });
    const outcomes = lines.filter((line) => line.message === "request");
    expect(outcomes).toHaveLength(1);
    const outcome = outcomes[0];
    expect(outcome?.status).toBe(200);
    expect(outcome?.webhookId).toBe(delivery.headers["webhook-id"]);
    expect(outcome?.version).toBe(stored.version);
    expect(outcome?.channel).toBe("production");
    expect(typeof outcome?.requestId).toBe("string");
    const text = JSON.stringify(lines);
    for (const secret of [
      env.ADMIN_TOKEN,
      env.WEBHOOK_SECRET,
      delivery.headers["webhook-signature"],
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
