import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Registry } from "../../worker/registry/registry.ts";
import { testApp } from "./support/core-app.ts";
import { publish, putVersion, randomVersion } from "./support/publish.ts";

describe("Registry.resolve", () => {
  it("resolves the default channel's current version", async () => {
    const { app, registry } = testApp();
    const stored = await putVersion(randomVersion());
    await publish(app, stored);
    const result = await registry.resolve({});
    expect(result).toEqual({
      ok: true,
      version: stored.version,
      channel: "production",
      manifestKey: stored.manifestKey,
      manifestSha256: stored.manifestSha256,
      knownFile: "demo/SKILL.md",
    });
  });

  it("resolves a named channel and an explicit version", async () => {
    const { app, registry } = testApp();
    const one = await putVersion(randomVersion(), { commitTime: "2026-01-01T00:00:00Z" });
    const two = await putVersion(randomVersion(), { commitTime: "2026-01-02T00:00:00Z" });
    await publish(app, one, { channel: "staging", commitTime: "2026-01-01T00:00:00Z" });
    await publish(app, two, { channel: "staging", commitTime: "2026-01-02T00:00:00Z" });
    const byChannel = await registry.resolve({ channel: "staging" });
    expect(byChannel).toMatchObject({ ok: true, version: two.version });
    const byVersion = await registry.resolve({ version: one.version });
    expect(byVersion).toMatchObject({ ok: true, version: one.version, channel: null });
  });

  it("reports an unknown channel and version", async () => {
    const { registry } = testApp();
    expect(await registry.resolve({ channel: "nowhere" })).toMatchObject({
      ok: false,
      reason: "unknown-channel",
    });
    expect(await registry.resolve({ version: randomVersion() })).toMatchObject({
      ok: false,
      reason: "unknown-version",
    });
  });

  it("reports a pruned version", async () => {
    const { app, registry } = testApp();
    const old = await putVersion(randomVersion(), { commitTime: "2026-01-01T00:00:00Z" });
    await publish(app, old, { commitTime: "2026-01-01T00:00:00Z" });
    for (let day = 2; day <= 4; day++) {
      const commitTime = `2026-01-0${day}T00:00:00Z`;
      await publish(app, await putVersion(randomVersion(), { commitTime }), { commitTime });
    }
    const report = await runInDurableObject(registry, (instance: Registry) =>
      instance.pruneWith({ versionsInUse: async () => [] }),
    );
    expect(report.pruned).toContain(old.version);
    expect(await registry.resolve({ version: old.version })).toMatchObject({
      ok: false,
      reason: "pruned-version",
    });
  });

  it("reports an invalid id as not found", async () => {
    const { registry } = testApp();
    const version = await registry.resolve({ version: "../etc" });
    expect(version).toMatchObject({ ok: false, reason: "unknown-version" });
    expect(version).toMatchObject({ message: expect.stringContaining("Invalid version") });
    const channel = await registry.resolve({ channel: "Bad Channel" });
    expect(channel).toMatchObject({ ok: false, reason: "unknown-channel" });
    expect(channel).toMatchObject({ message: expect.stringContaining("Invalid channel") });
  });
});

describe("Registry.publish", () => {
  it("records a republished pruned version again", async () => {
    const { app, registry } = testApp();
    const old = await putVersion(randomVersion(), { commitTime: "2026-01-01T00:00:00Z" });
    await publish(app, old, { commitTime: "2026-01-01T00:00:00Z" });
    for (let day = 2; day <= 4; day++) {
      const commitTime = `2026-01-0${day}T00:00:00Z`;
      await publish(app, await putVersion(randomVersion(), { commitTime }), { commitTime });
    }
    await runInDurableObject(registry, (instance: Registry) =>
      instance.pruneWith({ versionsInUse: async () => [] }),
    );
    const again = await putVersion(old.version, { commitTime: "2026-01-01T00:00:00Z" });
    const response = await publish(app, again, {
      channel: "hotfix",
      commitTime: "2026-01-01T00:00:00Z",
    });
    expect(response.status).toBe(200);
    expect(await registry.resolve({ version: old.version })).toMatchObject({ ok: true });
    expect(await registry.resolve({ channel: "hotfix" })).toMatchObject({ version: old.version });
  });

  it("rejects a version whose manifest changed with 409", async () => {
    const { app } = testApp();
    const version = randomVersion();
    const first = await putVersion(version, { files: { "SKILL.md": "one" } });
    expect((await publish(app, first)).status).toBe(200);
    const second = await putVersion(version, { files: { "SKILL.md": "two" } });
    const response = await publish(app, second, { channel: "staging" });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("manifest_conflict");
  });
});
