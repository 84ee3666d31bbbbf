import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/logger.ts";
import { PublishError } from "../../../publisher/errors.ts";
import { notifyVersion } from "../../../publisher/notify.ts";
import { startFaultProxy } from "../support/fault-proxy.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { auditBucket } from "./bucket-audit.ts";
import { tryPublish, writeSkills } from "./fixtures.ts";
import { recordScenario } from "./scenario-log.ts";
import {
  adminGet,
  type ChannelView,
  type ReliabilityStack,
  stackPublishSettings,
  startReliabilityStack,
} from "./stack-fixtures.ts";

const CHANNEL = "notify-faults";

let repo: GitRepo;
let target: ReliabilityStack;
const commits: string[] = [];

/** Returns a loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function currentVersion(): Promise<string | undefined> {
  return (await adminGet<ChannelView>(target, `/channels/${CHANNEL}`))?.version;
}

beforeAll(async () => {
  repo = await createGitRepo();
  for (const [index, date] of [
    "2026-02-01T00:00:00Z",
    "2026-02-02T00:00:00Z",
    "2026-02-03T00:00:00Z",
  ].entries()) {
    await writeSkills(repo, 100 + index, 2);
    commits.push(await repo.commit({ message: `Version ${index}`, date }));
  }
  target = await startReliabilityStack(repo.root);
}, 180_000);

afterAll(async () => {
  await target?.close();
  await repo?.close();
});

describe("publish with the Worker unreachable or failing", () => {
  it("fails clearly and a later notify makes it current", async () => {
    const [first, second, third] = commits;
    if (first === undefined || second === undefined || third === undefined)
      throw new Error("no commits");
    const figures = { attempts: 0, failedPublishes: 0, lateNotifies: 0 };

    // The Worker is unreachable: nothing listens on the URL.
    await repo.git("checkout", "--quiet", first);
    const port = await closedPort();
    const unreachable = await tryPublish(
      stackPublishSettings(target, repo.root, CHANNEL, {
        url: `http://127.0.0.1:${port}/webhooks/publish`,
        timeoutMs: 1000,
      }),
    );
    expect(unreachable.ok).toBe(false);
    if (!unreachable.ok) {
      expect(unreachable.error).toBeInstanceOf(PublishError);
      expect((unreachable.error as PublishError).code).toBe("notify-failed");
      expect((unreachable.error as Error).message).toContain(first);
      expect((unreachable.error as Error).message).toMatch(/after 3 attempts/);
    }
    figures.failedPublishes += 1;

    // The Worker answers 500, then 503 SlowDown: the proxy answers for it.
    for (const [index, kind] of (["error500", "slowDown503"] as const).entries()) {
      const sha = index === 0 ? second : third;
      await repo.git("checkout", "--quiet", sha);
      const proxy = await startFaultProxy({
        target: target.stack.worker.url,
        seed: index,
        rates: { [kind]: 1 },
      });
      try {
        const failing = await tryPublish(
          stackPublishSettings(target, repo.root, CHANNEL, {
            url: `${proxy.url}/webhooks/publish`,
          }),
        );
        expect(failing.ok).toBe(false);
        if (!failing.ok) expect((failing.error as PublishError).code).toBe("notify-failed");
        expect(proxy.stats.faults[kind]).toBe(3);
        figures.attempts += proxy.stats.requests;
        figures.failedPublishes += 1;
      } finally {
        await proxy.close();
      }
    }

    // Every version is complete in the bucket, but none is current.
    const audit = await auditBucket(target.s3, target.root);
    expect(audit.problems).toEqual([]);
    for (const sha of commits) expect(audit.complete).toContain(sha);
    expect(await currentVersion()).toBeUndefined();

    // A later notify makes the version current; notifying twice changes nothing.
    const store = stackPublishSettings(target, repo.root, CHANNEL).store;
    const notify = stackPublishSettings(target, repo.root, CHANNEL).notify;
    if (store === undefined || notify === undefined) throw new Error("no settings");
    await notifyVersion({ store, notify, channel: CHANNEL, version: first }, silentLogger);
    expect(await currentVersion()).toBe(first);
    await notifyVersion({ store, notify, channel: CHANNEL, version: third }, silentLogger);
    expect(await currentVersion()).toBe(third);
    // The older commit arrives late and does not replace the newer one.
    await notifyVersion({ store, notify, channel: CHANNEL, version: second }, silentLogger);
    expect(await currentVersion()).toBe(third);
    await notifyVersion({ store, notify, channel: CHANNEL, version: third }, silentLogger);
    figures.lateNotifies += 4;
    const detail = await adminGet<ChannelView>(target, `/channels/${CHANNEL}`);
    expect(detail?.history.map((change) => change.version)).toEqual([third, first]);
    recordScenario("notify-failures", figures);
  }, 180_000);

  it("retries a cut reply without applying it twice", async () => {
    const channel = "notify-cut";
    const sha = commits[0] ?? "";
    await repo.git("checkout", "--quiet", sha);
    let seen = 0;
    // The first delivery reaches the Worker, but its reply is cut.
    const proxy = await startFaultProxy({
      target: target.stack.worker.url,
      seed: 1,
      rates: { dropAfter: 1 },
      filter: () => {
        seen += 1;
        return seen === 1;
      },
    });
    try {
      const outcome = await tryPublish(
        stackPublishSettings(target, repo.root, channel, { url: `${proxy.url}/webhooks/publish` }),
      );
      expect(outcome.ok).toBe(true);
      expect(proxy.stats.faults.dropAfter).toBe(1);
      expect(proxy.stats.requests).toBe(2);
    } finally {
      await proxy.close();
    }
    const detail = await adminGet<ChannelView>(target, `/channels/${channel}`);
    expect(detail?.version).toBe(sha);
    expect(detail?.history.length).toBe(1);
  }, 120_000);
});
