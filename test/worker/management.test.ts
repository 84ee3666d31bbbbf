import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminRequest, testApp } from "./support/core-app.ts";
import { publish, putVersion, randomVersion } from "./support/publish.ts";

type Json = Record<string, unknown>;

async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

function rollback(app: ReturnType<typeof testApp>["app"], channel: string, body: unknown) {
  return adminRequest(app, `/channels/${channel}/rollback`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

async function current(app: ReturnType<typeof testApp>["app"], channel: string): Promise<string> {
  const body = await json(await adminRequest(app, `/channels/${channel}`));
  return String(body.version);
}

describe("management routes", () => {
  it("answers 401 without a token", async () => {
    const { app } = testApp();
    for (const path of [
      "/channels",
      "/channels/production",
      "/versions",
      `/versions/${randomVersion()}`,
    ]) {
      const response = await adminRequest(app, path, { token: null });
      expect(response.status, path).toBe(401);
      expect(response.headers.get("www-authenticate"), path).toContain("Bearer");
    }
    const post = await adminRequest(app, "/channels/production/rollback", {
      method: "POST",
      token: null,
      body: "{}",
    });
    expect(post.status).toBe(401);
  });

  it("answers 403 to the session token", async () => {
    const { app } = testApp();
    for (const path of ["/channels", "/versions"]) {
      const response = await adminRequest(app, path, { token: env.SESSION_TOKEN ?? "" });
      expect(response.status, path).toBe(403);
    }
  });

  it("answers 401 to a wrong token", async () => {
    const { app } = testApp();
    const response = await adminRequest(app, "/channels", { token: "not-the-token" });
    expect(response.status).toBe(401);
  });

  it("answers 500 naming ADMIN_TOKEN when it is not set", async () => {
    const { app } = testApp({ secrets: {} });
    const response = await adminRequest(app, "/channels", { token: "anything" });
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("missing_secret");
    expect(body.error.message).toContain("wrangler secret put ADMIN_TOKEN");
    const health = await app.request("http://worker.test/healthz");
    expect(health.status).toBe(200);
  });

  it("lists channels and versions newest first", async () => {
    const { app } = testApp();
    const older = await putVersion(randomVersion(), { commitTime: "2026-01-01T00:00:00Z" });
    const newer = await putVersion(randomVersion(), { commitTime: "2026-01-02T00:00:00Z" });
    await publish(app, older, { commitTime: "2026-01-01T00:00:00Z" });
    await publish(app, newer, { commitTime: "2026-01-02T00:00:00Z", channel: "staging" });

    const channels = (await json(await adminRequest(app, "/channels"))).channels as Json[];
    expect(channels.map((channel) => channel.channel)).toEqual(["production", "staging"]);

    const versions = (await json(await adminRequest(app, "/versions"))).versions as Json[];
    expect(versions.map((version) => version.version)).toEqual([newer.version, older.version]);
    expect(versions[0]?.currentOn).toEqual(["staging"]);
  });

  it("returns a version's summary", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    await publish(app, stored);
    const record = await json(await adminRequest(app, `/versions/${stored.version}`));
    expect(record.version).toBe(stored.version);
    expect(record.manifestSha256).toBe(stored.manifestSha256);
    const summary = record.summary as Json;
    expect((summary.commit as Json).subject).toBe(`Publish ${stored.version}`);
    expect((summary.skills as Json[]).map((skill) => skill.name)).toEqual(["demo"]);
    expect(summary.totals).toEqual({ files: 2, bytes: expect.any(Number) });
  });

  it("answers 404 for an unknown version or channel", async () => {
    const { app } = testApp();
    expect((await adminRequest(app, `/versions/${randomVersion()}`)).status).toBe(404);
    expect((await adminRequest(app, "/channels/nowhere")).status).toBe(404);
  });

  it("answers 400 for invalid ids", async () => {
    const { app } = testApp();
    const version = await adminRequest(app, "/versions/not-a-version");
    expect(version.status).toBe(400);
    expect(((await version.json()) as { error: { message: string } }).error.message).toContain(
      "not-a-version",
    );
    expect((await adminRequest(app, "/channels/UPPER")).status).toBe(400);
    const body = await rollback(app, "production", { version: "nope", reason: "test" });
    expect(body.status).toBe(400);
    const missingReason = await rollback(app, "production", { version: randomVersion() });
    expect(missingReason.status).toBe(400);
  });

  it("rolls back and records the reason in the history", async () => {
    const { app } = testApp();
    const one = await putVersion(randomVersion(), { commitTime: "2026-01-01T00:00:00Z" });
    const two = await putVersion(randomVersion(), { commitTime: "2026-01-02T00:00:00Z" });
    await publish(app, one, { commitTime: "2026-01-01T00:00:00Z" });
    await publish(app, two, { commitTime: "2026-01-02T00:00:00Z" });
    expect(await current(app, "production")).toBe(two.version);

    const response = await rollback(app, "production", {
      version: one.version,
      reason: "bad tool",
    });
    expect(response.status).toBe(200);
    const result = await json(response);
    expect(result.version).toBe(one.version);
    expect(result.previous).toBe(two.version);

    const detail = await json(await adminRequest(app, "/channels/production"));
    expect(detail.version).toBe(one.version);
    expect(detail.cause).toBe("rollback");
    expect(detail.reason).toBe("bad tool");
    const history = detail.history as Json[];
    expect(history.map((change) => change.version)).toEqual([
      one.version,
      two.version,
      one.version,
    ]);
    expect(history[0]?.reason).toBe("bad tool");
  });

  it("keeps a rollback when a seen version is delivered again", async () => {
    const { app } = testApp();
    const one = await putVersion(randomVersion(), { commitTime: "2026-01-01T00:00:00Z" });
    const two = await putVersion(randomVersion(), { commitTime: "2026-01-02T00:00:00Z" });
    await publish(app, one, { commitTime: "2026-01-01T00:00:00Z" });
    await publish(app, two, { commitTime: "2026-01-02T00:00:00Z" });
    await rollback(app, "production", { version: one.version, reason: "regression" });

    const again = await publish(app, two, { commitTime: "2026-01-02T00:00:00Z" });
    expect(again.status).toBe(200);
    const outcome = await json(again);
    expect(outcome.current).toBe(false);
    expect(String(outcome.reason)).toContain("rolled back");
    expect(await current(app, "production")).toBe(one.version);

    const three = await putVersion(randomVersion(), { commitTime: "2026-01-03T00:00:00Z" });
    const fresh = await publish(app, three, { commitTime: "2026-01-03T00:00:00Z" });
    expect((await json(fresh)).current).toBe(true);
    expect(await current(app, "production")).toBe(three.version);
  });

  it("promotes a version to a new channel", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    await publish(app, stored, { channel: "staging" });
    const response = await rollback(app, "production", {
      version: stored.version,
      reason: "promote after review",
    });
    expect(response.status).toBe(200);
    expect((await json(response)).previous).toBeNull();
    expect(await current(app, "production")).toBe(stored.version);
    expect(await current(app, "staging")).toBe(stored.version);
  });

  it("answers 404 to a rollback to an unknown version", async () => {
    const { app } = testApp();
    const response = await rollback(app, "production", { version: randomVersion(), reason: "x" });
    expect(response.status).toBe(404);
  });
});
