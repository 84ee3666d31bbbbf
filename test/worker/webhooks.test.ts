import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { MAX_NOTIFICATION_BYTES } from "../../core/notification.ts";
import { adminRequest, testApp } from "./support/core-app.ts";
import {
  deliver,
  notificationFor,
  putVersion,
  randomVersion,
  signedDelivery,
} from "./support/publish.ts";

const OTHER_SECRET = "whsec_b3RoZXItc2VjcmV0LXRoYXQtdGhlLXdvcmtlci1kb2VzLW5vdC1rbm93";

async function channelVersion(app: ReturnType<typeof testApp>["app"], channel: string) {
  const response = await adminRequest(app, `/channels/${channel}`);
  if (response.status === 404) return null;
  const body = (await response.json()) as { version: string };
  return body.version;
}

describe("POST /webhooks/publish", () => {
  it("records a valid notification as current", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const body = JSON.stringify(notificationFor(stored));
    const response = await deliver(app, await signedDelivery(body));
    expect(response.status).toBe(200);
    const outcome = (await response.json()) as Record<string, unknown>;
    expect(outcome.version).toBe(stored.version);
    expect(outcome.channel).toBe("production");
    expect(outcome.current).toBe(true);
    expect(typeof outcome.reason).toBe("string");
    expect(await channelVersion(app, "production")).toBe(stored.version);
  });

  it("rejects a tampered body with 401", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const delivery = await signedDelivery(JSON.stringify(notificationFor(stored)));
    const tampered = { ...delivery, body: delivery.body.replace("production", "staging") };
    const response = await deliver(app, tampered);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("invalid_signature");
    expect(await channelVersion(app, "staging")).toBeNull();
  });

  it("rejects a wrong secret with 401", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const body = JSON.stringify(notificationFor(stored));
    const response = await deliver(app, await signedDelivery(body, { secret: OTHER_SECRET }));
    expect(response.status).toBe(401);
  });

  it("rejects an old timestamp with 401", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const body = JSON.stringify(notificationFor(stored));
    const old = Math.floor(Date.now() / 1000) - 10 * 60;
    const response = await deliver(app, await signedDelivery(body, { timestamp: old }));
    expect(response.status).toBe(401);
    const error = (await response.json()) as { error: { message: string } };
    expect(error.error.message).toContain("seconds old");
  });

  it("rejects missing or malformed headers with 401", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const body = JSON.stringify(notificationFor(stored));
    const missing = await deliver(app, { body, headers: { "content-type": "application/json" } });
    expect(missing.status).toBe(401);
    const malformed = await deliver(app, {
      body,
      headers: {
        "webhook-id": "msg_1",
        "webhook-timestamp": "not-a-number",
        "webhook-signature": "v1,???",
      },
    });
    expect(malformed.status).toBe(401);
    const badSignature = await deliver(app, {
      body,
      headers: {
        "webhook-id": "msg_1",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": "garbage",
      },
    });
    expect(badSignature.status).toBe(401);
  });

  it("returns the stored response to a replay", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const delivery = await signedDelivery(JSON.stringify(notificationFor(stored)));
    const first = await deliver(app, delivery);
    const second = await deliver(app, delivery);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(await first.json());
  });

  it("answers a retry after a lost response the same way", async () => {
    const { app } = testApp();
    const older = await putVersion(randomVersion(), { commitTime: "2026-01-01T00:00:00Z" });
    const newer = await putVersion(randomVersion(), { commitTime: "2026-02-01T00:00:00Z" });
    const delivery = await signedDelivery(
      JSON.stringify(notificationFor(older, { commitTime: "2026-01-01T00:00:00Z" })),
    );
    const first = await deliver(app, delivery);
    const firstBody = await first.json();
    // The channel moves on before the sender retries, and the retry still gets the first response.
    const next = await deliver(
      app,
      await signedDelivery(
        JSON.stringify(notificationFor(newer, { commitTime: "2026-02-01T00:00:00Z" })),
      ),
    );
    expect(next.status).toBe(200);
    const retry = await deliver(app, delivery);
    expect(retry.status).toBe(first.status);
    expect(await retry.json()).toEqual(firstBody);
    expect(await channelVersion(app, "production")).toBe(newer.version);
  });

  it("rejects a reused webhook-id with another body with 409", async () => {
    const { app } = testApp();
    const one = await putVersion(randomVersion());
    const two = await putVersion(randomVersion());
    const id = `msg_${crypto.randomUUID()}`;
    const first = await deliver(
      app,
      await signedDelivery(JSON.stringify(notificationFor(one)), { id }),
    );
    expect(first.status).toBe(200);
    const second = await deliver(
      app,
      await signedDelivery(JSON.stringify(notificationFor(two)), { id }),
    );
    expect(second.status).toBe(409);
    const body = (await second.json()) as { error: { code: string } };
    expect(body.error.code).toBe("webhook_id_reused");
    expect(await channelVersion(app, "production")).toBe(one.version);
  });

  it("accepts a body signed by the standardwebhooks package", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const body = JSON.stringify(notificationFor(stored));
    const secret = env.WEBHOOK_SECRET ?? "";
    const id = `msg_${crypto.randomUUID()}`;
    const now = new Date();
    const signature = new Webhook(secret).sign(id, now, body);
    const response = await deliver(app, {
      body,
      headers: {
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": signature,
      },
    });
    expect(response.status).toBe(200);
  });

  it("accepts a delivery signed with a second, rotated secret", async () => {
    const { config } = testApp();
    const rotated = testApp({
      secrets: { ...config.secrets, WEBHOOK_SECRET: `${OTHER_SECRET} ${env.WEBHOOK_SECRET}` },
    });
    const stored = await putVersion(randomVersion());
    const body = JSON.stringify(notificationFor(stored));
    const response = await deliver(rotated.app, await signedDelivery(body));
    expect(response.status).toBe(200);
  });

  it("answers 503 with Retry-After when the manifest is missing", async () => {
    const { app } = testApp();
    const version = randomVersion();
    const notification = notificationFor({
      version,
      manifestKey: `manifests/${version}.json`,
      manifestSha256: "0".repeat(64),
    });
    const response = await deliver(app, await signedDelivery(JSON.stringify(notification)));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await channelVersion(app, "production")).toBeNull();
  });

  it("answers 422 when the manifest sha differs", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const notification = notificationFor({ ...stored, manifestSha256: "a".repeat(64) });
    const response = await deliver(app, await signedDelivery(JSON.stringify(notification)));
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("manifest_mismatch");
  });

  it("answers 422 when the manifest names another version", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const other = randomVersion();
    const otherKey = `manifests/${other}.json`;
    await env.SKILLS_BUCKET.put(otherKey, stored.manifestText);
    const notification = notificationFor({
      version: other,
      manifestKey: otherKey,
      manifestSha256: stored.manifestSha256,
    });
    const response = await deliver(app, await signedDelivery(JSON.stringify(notification)));
    expect(response.status).toBe(422);
  });

  it("answers 400 for an invalid notification", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const notification = notificationFor(stored, { channel: "Not A Channel" });
    const response = await deliver(app, await signedDelivery(JSON.stringify(notification)));
    expect(response.status).toBe(400);
    const notJson = await deliver(app, await signedDelivery("{not json"));
    expect(notJson.status).toBe(400);
  });

  it("answers 413 for a body over the limit", async () => {
    const { app } = testApp();
    const body = `{"padding":"${"x".repeat(MAX_NOTIFICATION_BYTES)}"}`;
    const response = await deliver(app, await signedDelivery(body));
    expect(response.status).toBe(413);
  });

  it("answers 413 when Content-Length understates the body", async () => {
    const { app } = testApp();
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_NOTIFICATION_BYTES * 2) controller.close();
        else {
          controller.enqueue(chunk);
          sent += chunk.byteLength;
        }
      },
    });
    const request = new Request("http://worker.test/webhooks/publish", {
      method: "POST",
      body: stream,
      headers: { "content-length": "10" },
    });
    const response = await app.request(request);
    expect(response.status).toBe(413);
  });

  it("keeps a newer commit when an older one arrives later", async () => {
    const { app } = testApp();
    const newer = await putVersion(randomVersion(), { commitTime: "2026-03-01T00:00:00Z" });
    const older = await putVersion(randomVersion(), { commitTime: "2026-02-01T00:00:00Z" });
    const first = await deliver(
      app,
      await signedDelivery(
        JSON.stringify(notificationFor(newer, { commitTime: "2026-03-01T00:00:00Z" })),
      ),
    );
    expect(first.status).toBe(200);
    const late = await deliver(
      app,
      await signedDelivery(
        JSON.stringify(notificationFor(older, { commitTime: "2026-02-01T00:00:00Z" })),
      ),
    );
    expect(late.status).toBe(200);
    const outcome = (await late.json()) as { current: boolean; reason: string };
    expect(outcome.current).toBe(false);
    expect(outcome.reason).toContain(newer.version);
    expect(await channelVersion(app, "production")).toBe(newer.version);
    const version = await adminRequest(app, `/versions/${older.version}`);
    expect(version.status).toBe(200);
  });

  it("breaks a commit time tie by publish time", async () => {
    const { app } = testApp();
    const first = await putVersion(randomVersion());
    const second = await putVersion(randomVersion());
    const body = (stored: typeof first, publishedAt: string) =>
      JSON.stringify(notificationFor(stored, { publishedAt }));
    await deliver(app, await signedDelivery(body(first, "2026-01-02T00:00:00Z")));
    await deliver(app, await signedDelivery(body(second, "2026-01-03T00:00:00Z")));
    expect(await channelVersion(app, "production")).toBe(second.version);
  });

  it("ends on the newest commit after concurrent deliveries", async () => {
    const { app } = testApp();
    const days = [3, 1, 5, 2, 4];
    const versions = await Promise.all(
      days.map((day) => putVersion(randomVersion(), { commitTime: `2026-01-0${day}T00:00:00Z` })),
    );
    const deliveries = await Promise.all(
      versions.map((stored, index) =>
        signedDelivery(
          JSON.stringify(
            notificationFor(stored, { commitTime: `2026-01-0${days[index]}T00:00:00Z` }),
          ),
        ),
      ),
    );
    const responses = await Promise.all(deliveries.map((delivery) => deliver(app, delivery)));
    for (const response of responses) expect(response.status).toBe(200);
    const newest = versions[days.indexOf(5)];
    expect(await channelVersion(app, "production")).toBe(newest?.version);
  });
});
