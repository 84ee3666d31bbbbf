/**
 * Pruning deletes objects across several awaits, and the Registry serves
 * other calls meanwhile. These tests run a rollback or a publish from inside
 * the bucket's first delete, while the run is deleting, and check that no
 * channel ends up on a version whose objects are gone.
 */

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../core/encoding.ts";
import { parseManifest } from "../../core/manifest.ts";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import type { Bucket } from "../../worker/bucket/types.ts";
import type { Registry } from "../../worker/registry/registry.ts";
import { summarize } from "../../worker/webhooks/summary.ts";
import { adminRequest, testApp } from "./support/core-app.ts";
import {
  notificationFor,
  publish,
  putVersion,
  randomVersion,
  type StoredVersion,
} from "./support/publish.ts";

/** Publishes five versions to production with increasing commit times. */
async function publishFive(app: ReturnType<typeof testApp>["app"]): Promise<StoredVersion[]> {
  const versions: StoredVersion[] = [];
  for (let day = 1; day <= 5; day++) {
    const commitTime = `2026-02-0${day}T00:00:00Z`;
    const stored = await putVersion(randomVersion(), { commitTime });
    const response = await publish(app, stored, {
      commitTime,
      publishedAt: `2026-02-0${day}T01:00:00Z`,
    });
    expect(response.status).toBe(200);
    versions.push(stored);
  }
  return versions;
}

/** Wraps the R2 bucket so `during` runs once, inside the first delete. */
function bucketWithHook(during: () => Promise<void>): Bucket {
  const inner = new R2Bucket(env.SKILLS_BUCKET);
  let ran = false;
  return {
    get: (key) => inner.get(key),
    head: (key) => inner.head(key),
    list: (prefix, cursor) => inner.list(prefix, cursor),
    delete: async (keys) => {
      if (!ran) {
        ran = true;
        await during();
      }
      await inner.delete(keys);
    },
  };
}

async function allExist(stored: StoredVersion): Promise<boolean> {
  for (const key of [stored.manifestKey, ...stored.objectKeys]) {
    if ((await env.SKILLS_BUCKET.head(key)) === null) return false;
  }
  return true;
}

describe("pruning while the registry serves calls", () => {
  it("rollback during a run keeps the channel mountable", async () => {
    const { app, registry } = testApp();
    const versions = await publishFive(app);
    const v3 = versions[2];
    if (!v3) throw new Error("expected five versions");

    const outcome = await runInDurableObject(registry, async (instance: Registry) => {
      let rollback: Awaited<ReturnType<Registry["rollback"]>> | undefined;
      const bucket = bucketWithHook(async () => {
        rollback = await instance.rollback("production", v3.version, "bad release");
      });
      const report = await instance.pruneWith({ versionsInUse: async () => [] }, bucket);
      return { report, rollback, resolved: instance.resolve({ channel: "production" }) };
    });

    expect(outcome.rollback?.ok).toBe(false);
    const resolved = outcome.resolved;
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    const current = versions.find((stored) => stored.version === resolved.version);
    expect(current).toBeDefined();
    if (current !== undefined) expect(await allExist(current)).toBe(true);
  });

  it("publish during a run does not make a pruned version current", async () => {
    const { app, registry } = testApp();
    const [v1, v2, v3] = await publishFive(app);
    if (!v1 || !v2 || !v3) throw new Error("expected five versions");
    const pruning = [v1, v2, v3];
    const inputs = await Promise.all(
      pruning.map(async (stored, index) => {
        const notification = notificationFor(stored, {
          channel: `canary-${index}`,
          commitTime: "2026-02-09T00:00:00Z",
        });
        return {
          webhookId: `msg_${crypto.randomUUID()}`,
          bodySha256: await sha256Hex(JSON.stringify(notification)),
          notification,
          summary: summarize(parseManifest(stored.manifestText, stored.manifestKey)),
        };
      }),
    );

    const outcome = await runInDurableObject(registry, async (instance: Registry) => {
      const statuses: number[] = [];
      const bucket = bucketWithHook(async () => {
        for (const input of inputs) statuses.push((await instance.publish(input)).status);
      });
      const report = await instance.pruneWith({ versionsInUse: async () => [] }, bucket);
      const resolved = pruning.map((_stored, index) =>
        instance.resolve({ channel: `canary-${index}` }),
      );
      return { report, statuses, resolved };
    });

    expect(outcome.statuses).toHaveLength(pruning.length);
    expect(outcome.report.pruned.sort()).toEqual(pruning.map((stored) => stored.version).sort());
    for (const [index, status] of outcome.statuses.entries()) {
      expect(status, `publish ${index}`).toBe(503);
    }
    for (const [index, resolved] of outcome.resolved.entries()) {
      expect(resolved, `canary-${index}`).toMatchObject({ ok: false, reason: "unknown-channel" });
    }
  });
});

describe("pruning run that fails half-way", () => {
  it("rollback without a manifest is rejected", async () => {
    const { app, registry } = testApp();
    const versions = await publishFive(app);
    const first = versions[0];
    const newest = versions[4];
    if (!first || !newest) throw new Error("expected five versions");
    const inner = new R2Bucket(env.SKILLS_BUCKET);
    // Deletes manifests, then fails on the first batch of objects.
    const failing: Bucket = {
      get: (key) => inner.get(key),
      head: (key) => inner.head(key),
      list: (prefix, cursor) => inner.list(prefix, cursor),
      delete: async (keys) => {
        if (keys.some((key) => key.startsWith("versions/"))) throw new Error("bucket unavailable");
        await inner.delete(keys);
      },
    };
    const report = await runInDurableObject(registry, (instance: Registry) =>
      instance.pruneWith({ versionsInUse: async () => [] }, failing),
    );
    expect(report.pruned).toEqual([]);
    expect(await env.SKILLS_BUCKET.head(first.manifestKey)).toBeNull();

    const response = await adminRequest(app, "/channels/production/rollback", {
      method: "POST",
      body: JSON.stringify({ version: first.version, reason: "back to the first" }),
    });

    expect(response.status).toBe(409);
    expect(await registry.resolve({ channel: "production" })).toMatchObject({
      ok: true,
      version: newest.version,
    });
  });
});

describe("publish after a pruning run", () => {
  it("does not revive a version whose manifest is gone", async () => {
    const { app, registry } = testApp();
    const versions = await publishFive(app);
    const first = versions[0];
    if (!first) throw new Error("expected five versions");
    const notification = notificationFor(first, { channel: "revived" });
    // As if the route read the manifest just before the run deleted it.
    const input = {
      webhookId: `msg_${crypto.randomUUID()}`,
      bodySha256: await sha256Hex(JSON.stringify(notification)),
      notification,
      summary: summarize(parseManifest(first.manifestText, first.manifestKey)),
    };

    const outcome = await runInDurableObject(registry, async (instance: Registry) => {
      const report = await instance.pruneWith({ versionsInUse: async () => [] });
      const response = await instance.publish(input);
      return { report, response, resolved: instance.resolve({ channel: "revived" }) };
    });

    expect(outcome.report.pruned).toContain(first.version);
    expect(outcome.response.status).toBe(503);
    expect(outcome.resolved).toMatchObject({ ok: false, reason: "unknown-channel" });
  });
});
