import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../core/logger.ts";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import type { Bucket } from "../../worker/bucket/types.ts";
import { runPrune } from "../../worker/prune/run.ts";
import type { Registry } from "../../worker/registry/registry.ts";
import { adminRequest, testApp } from "./support/core-app.ts";
import {
  publish,
  putHead,
  putVersion,
  randomVersion,
  type StoredVersion,
} from "./support/publish.ts";

async function exists(key: string): Promise<boolean> {
  return (await env.SKILLS_BUCKET.head(key)) !== null;
}

async function allExist(stored: StoredVersion): Promise<boolean> {
  for (const key of [stored.manifestKey, ...stored.objectKeys]) {
    if (!(await exists(key))) return false;
  }
  return true;
}

async function noneExist(stored: StoredVersion): Promise<boolean> {
  for (const key of [stored.manifestKey, ...stored.objectKeys]) {
    if (await exists(key)) return false;
  }
  return true;
}

/** Publishes five versions to production with increasing commit times. */
async function publishFive(app: ReturnType<typeof testApp>["app"]): Promise<StoredVersion[]> {
  const versions: StoredVersion[] = [];
  for (let day = 1; day <= 5; day++) {
    const commitTime = `2026-01-0${day}T00:00:00Z`;
    const stored = await putVersion(randomVersion(), { commitTime });
    const response = await publish(app, stored, {
      commitTime,
      publishedAt: `2026-01-0${day}T01:00:00Z`,
    });
    expect(response.status).toBe(200);
    versions.push(stored);
  }
  return versions;
}

/** Wraps a bucket to record the keys it deletes, in order. */
function recordingBucket(inner: Bucket, deleted: string[]): Bucket {
  return {
    get: (key) => inner.get(key),
    head: (key) => inner.head(key),
    list: (prefix, cursor) => inner.list(prefix, cursor),
    delete: async (keys) => {
      deleted.push(...keys);
      await inner.delete(keys);
    },
  };
}

describe("pruning", () => {
  it("keeps current, last N, heads and in-use versions", async () => {
    const { app, registry } = testApp();
    const [v1, v2, v3, v4, v5] = await publishFive(app);
    if (!v1 || !v2 || !v3 || !v4 || !v5) throw new Error("expected five versions");
    const staging = await putVersion(randomVersion(), { commitTime: "2026-01-01T12:00:00Z" });
    await publish(app, staging, { channel: "staging", commitTime: "2026-01-01T12:00:00Z" });
    // v1 is the base the publisher will copy from; v2 is still used by a session.
    await putHead(v1, `head-${v1.version.slice(0, 8)}`);

    const report = await runInDurableObject(registry, (instance: Registry) =>
      instance.pruneWith({ versionsInUse: async () => [v2.version] }),
    );

    expect(report.skipped).toBeUndefined();
    expect(report.pruned).toEqual([v3.version]);
    expect(report.kept[v5.version]).toBe("current on a channel");
    expect(report.kept[v4.version]).toContain("last 2");
    expect(report.kept[v1.version]).toContain("head");
    expect(report.kept[v2.version]).toContain("session");
    expect(report.kept[staging.version]).toBe("current on a channel");

    expect(await noneExist(v3)).toBe(true);
    for (const kept of [v1, v2, v4, v5, staging]) expect(await allExist(kept)).toBe(true);

    const record = (await (await adminRequest(app, `/versions/${v3.version}`)).json()) as {
      prunedAt: string | null;
    };
    expect(record.prunedAt).not.toBeNull();
    const rollback = await adminRequest(app, "/channels/production/rollback", {
      method: "POST",
      body: JSON.stringify({ version: v3.version, reason: "too late" }),
    });
    expect(rollback.status).toBe(409);
  });

  it("deletes the manifest before the objects", async () => {
    const { app, registry, config } = testApp();
    const [, , v3] = await publishFive(app);
    if (!v3) throw new Error("expected five versions");
    const deleted: string[] = [];
    const report = await runInDurableObject(registry, (_instance: Registry, state) =>
      runPrune({
        sql: state.storage.sql,
        bucket: recordingBucket(new R2Bucket(env.SKILLS_BUCKET), deleted),
        rootPrefix: config.rootPrefix,
        retainVersions: 2,
        retainHours: 24,
        sessions: { versionsInUse: async () => [] },
        now: Date.now(),
        logger: silentLogger,
        pruning: new Set(),
      }),
    );
    // v1 and v2 are not named by any head here, so both go too.
    expect(report.pruned).toHaveLength(3);
    expect(report.pruned).toContain(v3.version);
    for (const version of report.pruned) {
      const manifestAt = deleted.indexOf(`manifests/${version}.json`);
      const objectsAt = deleted.findIndex((key) => key.startsWith(`versions/${version}/`));
      expect(manifestAt, version).toBeGreaterThanOrEqual(0);
      expect(objectsAt, version).toBeGreaterThan(manifestAt);
    }
  });

  it("deletes nothing when a head cannot be parsed", async () => {
    const { app, registry } = testApp();
    const root = `isolated-${randomVersion().slice(0, 12)}/`;
    await publishFive(app);
    await env.SKILLS_BUCKET.put(`${root}heads/broken.json`, "{not json");
    const deleted: string[] = [];
    const report = await runInDurableObject(registry, (_instance: Registry, state) =>
      runPrune({
        sql: state.storage.sql,
        bucket: recordingBucket(new R2Bucket(env.SKILLS_BUCKET), deleted),
        rootPrefix: root,
        retainVersions: 2,
        retainHours: 24,
        sessions: { versionsInUse: async () => [] },
        now: Date.now(),
        logger: silentLogger,
        pruning: new Set(),
      }),
    );
    expect(report.skipped).toContain("broken.json");
    expect(report.pruned).toEqual([]);
    expect(deleted).toEqual([]);
  });

  it("deletes nothing when the sessions cannot be read", async () => {
    const { app, registry } = testApp();
    await publishFive(app);
    const report = await runInDurableObject(registry, (instance: Registry) =>
      instance.pruneWith({
        versionsInUse: async () => {
          throw new Error("session store unavailable");
        },
      }),
    );
    expect(report.skipped).toContain("session store unavailable");
    expect(report.pruned).toEqual([]);
  });

  it("runs on the alarm scheduled by a publish", async () => {
    const { app, registry } = testApp();
    const [v1, v2, v3] = await publishFive(app);
    if (!v1 || !v2 || !v3) throw new Error("expected five versions");
    expect(await runDurableObjectAlarm(registry)).toBe(true);
    for (const pruned of [v1, v2, v3]) expect(await noneExist(pruned)).toBe(true);
    const versions = (await (await adminRequest(app, "/versions")).json()) as {
      versions: { version: string; prunedAt: string | null }[];
    };
    const prunedVersions = versions.versions.filter((entry) => entry.prunedAt !== null);
    expect(prunedVersions.map((entry) => entry.version).sort()).toEqual(
      [v1.version, v2.version, v3.version].sort(),
    );
  });
});

describe("delivery records", () => {
  it("are deleted a day after delivery", async () => {
    const { app, registry } = testApp();
    const stored = await putVersion(randomVersion());
    expect((await publish(app, stored)).status).toBe(200);
    const count = () =>
      runInDurableObject(registry, (_instance: Registry, state) => {
        const row = state.storage.sql
          .exec<{ count: number }>("SELECT count(*) AS count FROM deliveries")
          .one();
        return row.count;
      });
    expect(await count()).toBe(1);
    await runInDurableObject(registry, (instance: Registry) =>
      instance.pruneWith({ versionsInUse: async () => [] }),
    );
    expect(await count()).toBe(1);
    await runInDurableObject(registry, (_instance: Registry, state) => {
      state.storage.sql.exec("UPDATE deliveries SET received_at = received_at - ?", 25 * 3_600_000);
    });
    await runInDurableObject(registry, (instance: Registry) =>
      instance.pruneWith({ versionsInUse: async () => [] }),
    );
    expect(await count()).toBe(0);
  });
});
