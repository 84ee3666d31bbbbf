import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClaimInput } from "../../worker/sessions/records.ts";
import { addKnownFileColumn, type SessionStore } from "../../worker/sessions/store.ts";
import { sessionStoreStub } from "../../worker/sessions/stub.ts";
import { randomVersion } from "./sessions-fixtures.ts";

const LEASE_MS = 1000;

/** Returns a store of its own, so counts and versions do not mix with other tests. */
function freshStore() {
  return sessionStoreStub(env, `test-${crypto.randomUUID()}`);
}

function claim(sessionId: string, version: string, nowMs: number, remount = false): ClaimInput {
  return {
    sessionId,
    version,
    channel: "production",
    manifestKey: `manifests/${version}.json`,
    manifestSha256: "0".repeat(64),
    knownFile: "review/SKILL.md",
    nowMs,
    leaseMs: LEASE_MS,
    remount,
  };
}

describe("SessionStore", () => {
  it("claim of a new session creates it", async () => {
    const store = freshStore();
    const version = randomVersion();

    const result = await store.claimSetup(claim("s1", version, 100));

    expect(result.outcome).toBe("claimed");
    expect(result).toHaveProperty("created", true);
    expect(result.record).toMatchObject({
      sessionId: "s1",
      version,
      state: "setting-up",
      readyAt: null,
    });
  });

  it("keeps the known file of a claim", async () => {
    const store = freshStore();
    const version = randomVersion();
    await store.claimSetup({ ...claim("s1", version, 100), knownFile: null });
    await store.claimSetup(claim("s2", version, 100));

    expect((await store.lookup("s1"))?.knownFile).toBeNull();
    expect((await store.lookup("s2"))?.knownFile).toBe("review/SKILL.md");
  });

  it("adds the known file column to an older table", async () => {
    const store = freshStore();
    await store.claimSetup(claim("s1", randomVersion(), 100));

    const columns = await runInDurableObject(store, (_instance: SessionStore, state) => {
      const sql = state.storage.sql;
      sql.exec("ALTER TABLE sessions DROP COLUMN known_file");
      addKnownFileColumn(sql);
      addKnownFileColumn(sql);
      return sql
        .exec<{ name: string }>("PRAGMA table_info(sessions)")
        .toArray()
        .map((column) => column.name);
    });

    expect(columns.filter((name) => name === "known_file")).toHaveLength(1);
    expect((await store.lookup("s1"))?.knownFile).toBeNull();
  });

  it("second claim during setup is busy", async () => {
    const store = freshStore();
    const version = randomVersion();
    await store.claimSetup(claim("s1", version, 100));

    const result = await store.claimSetup(claim("s1", version, 100 + LEASE_MS - 1));

    expect(result.outcome).toBe("busy");
  });

  it("stalled first setup is taken over", async () => {
    const store = freshStore();
    await store.claimSetup(claim("s1", randomVersion(), 100));
    const other = randomVersion();

    const result = await store.claimSetup(claim("s1", other, 100 + LEASE_MS));

    expect(result.outcome).toBe("claimed");
    expect(result.record.version).toBe(other);
  });

  it("ready session answers ready, remount claims", async () => {
    const store = freshStore();
    const version = randomVersion();
    await store.claimSetup(claim("s1", version, 100));
    await store.finishSetup("s1", 200);

    const ready = await store.claimSetup(claim("s1", version, 300));
    const remount = await store.claimSetup(claim("s1", version, 400, true));

    expect(ready.outcome).toBe("ready");
    expect(ready.record.lastSeenAt).toBe(300);
    expect(remount.outcome).toBe("claimed");
    expect(remount).toHaveProperty("created", false);
  });

  it("other version on a session conflicts", async () => {
    const store = freshStore();
    const version = randomVersion();
    await store.claimSetup(claim("s1", version, 100));
    await store.finishSetup("s1", 200);

    const result = await store.claimSetup(claim("s1", randomVersion(), 300));

    expect(result.outcome).toBe("conflict");
    expect(result.record.version).toBe(version);
  });

  it("abandoned new session is forgotten", async () => {
    const store = freshStore();
    await store.claimSetup(claim("s1", randomVersion(), 100));

    await store.abandonSetup("s1", true);

    expect(await store.lookup("s1")).toBeNull();
  });

  it("abandoned remount keeps the version", async () => {
    const store = freshStore();
    const version = randomVersion();
    await store.claimSetup(claim("s1", version, 100));
    await store.finishSetup("s1", 200);
    await store.claimSetup(claim("s1", version, 300, true));

    await store.abandonSetup("s1", false);

    const record = await store.lookup("s1");
    expect(record?.version).toBe(version);
    expect(record?.state).toBe("unmounted");
  });

  it("versionsInUse lists recent and in-setup versions", async () => {
    const store = freshStore();
    const [old, recent, settingUp] = [randomVersion(), randomVersion(), randomVersion()];
    await store.claimSetup(claim("old", old, 1_000));
    await store.finishSetup("old", 1_000);
    await store.claimSetup(claim("recent", recent, 5_000));
    await store.finishSetup("recent", 5_000);
    await store.claimSetup(claim("setting-up", settingUp, 2_000));

    expect(await store.versionsInUse(4_000)).toEqual([recent, settingUp].sort());
    expect(await store.versionsInUse(0)).toEqual([old, recent, settingUp].sort());
    expect(await store.versionsInUse(10_000)).toEqual([settingUp]);
  });

  it("versionsInUse counts a ticket redemption as use", async () => {
    const store = freshStore();
    const version = randomVersion();
    await store.claimSetup(claim("s1", version, 1_000));
    await store.finishSetup("s1", 1_000);
    await store.issueTicket({
      ticketSha256: "a".repeat(64),
      sessionId: "s1",
      expiresAt: 70_000,
      nowMs: 10_000,
    });
    expect(await store.versionsInUse(20_000)).toEqual([]);

    const redeemed = await store.redeemTicket({
      ticketSha256: "a".repeat(64),
      sessionId: "s1",
      nowMs: 30_000,
    });

    expect(redeemed.outcome).toBe("ok");
    expect(await store.versionsInUse(20_000)).toEqual([version]);
  });

  it("tickets are single-use and expire", async () => {
    const store = freshStore();
    await store.claimSetup(claim("s1", randomVersion(), 0));
    await store.finishSetup("s1", 0);
    const issue = (digit: string, expiresAt: number) =>
      store.issueTicket({ ticketSha256: digit.repeat(64), sessionId: "s1", expiresAt, nowMs: 0 });
    await issue("b", 1_000);
    await issue("c", 1_000);
    await issue("d", 1_000);
    const redeem = (digit: string, sessionId: string, nowMs: number) =>
      store.redeemTicket({ ticketSha256: digit.repeat(64), sessionId, nowMs });

    expect((await redeem("b", "s1", 500)).outcome).toBe("ok");
    expect((await redeem("b", "s1", 600)).outcome).toBe("used");
    expect((await redeem("c", "s1", 1_000)).outcome).toBe("expired");
    expect((await redeem("d", "s2", 500)).outcome).toBe("wrong-session");
    expect((await redeem("d", "s1", 500)).outcome).toBe("used");
    expect((await redeem("e", "s1", 500)).outcome).toBe("unknown");
  });
});
