import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import type { Bucket } from "../../worker/bucket/types.ts";
import { registryStub } from "../../worker/registry/stub.ts";
import { recordingProvider } from "../../worker/sandbox/recording.ts";
import { sessionStoreStub } from "../../worker/sessions/stub.ts";
import {
  ADMIN_TOKEN,
  bucketFilesUnder,
  buildApp,
  DEFAULT_FILES,
  publishVersion,
  randomChannel,
  randomVersion,
} from "./sessions-fixtures.ts";

const MOUNT_PATH = "/workspace/.claude/skills";
const AGENT_VARS = { AGENT_COMMAND: "claude-agent --port 3001", ANTHROPIC_API_KEY: "sk-ant-test" };

interface SessionBody {
  sessionId: string;
  version: string;
  channel: string | null;
  mountPath: string;
  ticket: string;
  ticketExpiresAt: string;
}

interface ErrorBody {
  error: { code: string; message: string };
}

function steps(calls: { operation: string; args: unknown[] }[]): unknown[][] {
  return calls.map((call) => [call.operation, ...call.args]);
}

describe("POST /sessions", () => {
  it("new session mounts, sets env, starts agent", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const t = buildApp(AGENT_VARS);

    const response = await t.createSession({ channel });

    expect(response.status).toBe(201);
    const body = await response.json<SessionBody>();
    expect(body.version).toBe(version);
    expect(body.channel).toBe(channel);
    expect(body.mountPath).toBe(MOUNT_PATH);
    expect(body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.ticketExpiresAt).toBe(new Date(t.clock.ms + 60_000).toISOString());
    expect(steps(t.sandboxes.calls)).toEqual([
      ["readSetupMarker"],
      [
        "mount",
        {
          kind: "r2-binding",
          binding: "SKILLS_BUCKET",
          mountPath: MOUNT_PATH,
          prefix: `/versions/${version}/`,
          readOnly: true,
        },
      ],
      ["exists", `${MOUNT_PATH}/commit-messages/SKILL.md`],
      [
        "setEnvVars",
        {
          SKILLS_VERSION: version,
          SKILLS_CHANNEL: channel,
          ANTHROPIC_MODEL: "claude-sonnet-4-5",
          ANTHROPIC_API_KEY: "sk-ant-test",
        },
      ],
      ["startProcess", "claude-agent --port 3001"],
      ["waitForPort", 3001, { timeoutMs: 60_000 }],
      ["writeSetupMarker", version],
    ]);
    for (const call of t.sandboxes.calls) expect(call.sessionId).toBe(body.sessionId);
  });

  it("new session without agent command skips the agent", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp({ CLAUDE_CODE_OAUTH_TOKEN: "oauth-test" });

    const response = await t.createSession({ channel });

    expect(response.status).toBe(201);
    const operations = t.sandboxes.calls.map((call) => call.operation);
    expect(operations).toEqual([
      "readSetupMarker",
      "mount",
      "exists",
      "setEnvVars",
      "writeSetupMarker",
    ]);
    const env = t.sandboxes.callsOf({ operation: "setEnvVars" })[0]?.args[0];
    expect(env).toMatchObject({ CLAUDE_CODE_OAUTH_TOKEN: "oauth-test" });
    expect(env).not.toHaveProperty("ANTHROPIC_API_KEY");
  });

  it("reconnect keeps version without remounting", async () => {
    const channel = randomChannel();
    const first = await publishVersion(
      channel,
      randomVersion(),
      undefined,
      new Date(Date.UTC(2026, 0, 1)),
    );
    const t = buildApp(AGENT_VARS);
    const created = await (await t.createSession({ channel })).json<SessionBody>();
    const second = await publishVersion(
      channel,
      randomVersion(),
      undefined,
      new Date(Date.UTC(2026, 0, 2)),
    );
    const callsBefore = t.sandboxes.calls.length;

    const response = await t.createSession({ sessionId: created.sessionId, channel });

    expect(response.status).toBe(200);
    const body = await response.json<SessionBody>();
    expect(body.version).toBe(first.version);
    expect(body.version).not.toBe(second.version);
    expect(body.ticket).not.toBe(created.ticket);
    expect(steps(t.sandboxes.calls.slice(callsBefore))).toEqual([["readSetupMarker"]]);
  });

  it("reconnect after restart mounts again", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const t = buildApp(AGENT_VARS);
    const created = await (await t.createSession({ channel })).json<SessionBody>();
    t.sandboxes.sandbox(created.sessionId).restart();
    const callsBefore = t.sandboxes.calls.length;

    const response = await t.createSession({ sessionId: created.sessionId });

    expect(response.status).toBe(200);
    expect((await response.json<SessionBody>()).version).toBe(version);
    const operations = t.sandboxes.calls.slice(callsBefore).map((call) => call.operation);
    expect(operations).toEqual([
      "readSetupMarker",
      "mount",
      "exists",
      "setEnvVars",
      "startProcess",
      "waitForPort",
      "writeSetupMarker",
    ]);
    const sandbox = t.sandboxes.sandbox(created.sessionId);
    expect(sandbox.mounts.get(MOUNT_PATH)).toMatchObject({ prefix: `/versions/${version}/` });
    expect(sandbox.marker).toBe(version);
  });

  it("pinned version ignores the channel head", async () => {
    const channel = randomChannel();
    const older = await publishVersion(
      channel,
      randomVersion(),
      undefined,
      new Date(Date.UTC(2026, 0, 1)),
    );
    await publishVersion(channel, randomVersion(), undefined, new Date(Date.UTC(2026, 0, 2)));
    const t = buildApp();

    const response = await t.createSession({ version: older.version });

    expect(response.status).toBe(201);
    const body = await response.json<SessionBody>();
    expect(body.version).toBe(older.version);
    expect(body.channel).toBeNull();
    const mount = t.sandboxes.callsOf({ operation: "mount" })[0]?.args[0];
    expect(mount).toMatchObject({ prefix: `/versions/${older.version}/` });
    const env = t.sandboxes.callsOf({ operation: "setEnvVars" })[0]?.args[0];
    expect(env).not.toHaveProperty("SKILLS_CHANNEL");
  });

  it("channel picks its current version", async () => {
    const staging = randomChannel();
    const production = randomChannel();
    const stagingVersion = await publishVersion(staging);
    await publishVersion(production);
    const t = buildApp();

    const body = await (await t.createSession({ channel: staging })).json<SessionBody>();

    expect(body.version).toBe(stagingVersion.version);
    expect(body.channel).toBe(staging);
  });

  it("empty body uses DEFAULT_CHANNEL", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const t = buildApp({ DEFAULT_CHANNEL: channel });

    const response = await t.request("/sessions", { method: "POST" });

    expect(response.status).toBe(201);
    const body = await response.json<SessionBody>();
    expect(body.version).toBe(version);
    expect(body.channel).toBe(channel);
  });

  it("unknown channel or version is 404", async () => {
    const t = buildApp();

    const noChannel = await t.createSession({ channel: randomChannel() });
    const noVersion = await t.createSession({ version: randomVersion() });

    expect(noChannel.status).toBe(404);
    expect((await noChannel.json<ErrorBody>()).error.code).toBe("unknown_channel");
    expect(noVersion.status).toBe(404);
    expect((await noVersion.json<ErrorBody>()).error.code).toBe("unknown_version");
    expect(t.sandboxes.calls).toEqual([]);
  });

  it("existing session with another version is 409", async () => {
    const channel = randomChannel();
    const first = await publishVersion(channel);
    const other = await publishVersion(randomChannel());
    const t = buildApp();
    const created = await (await t.createSession({ version: first.version })).json<SessionBody>();
    const callsBefore = t.sandboxes.calls.length;

    const response = await t.createSession({
      sessionId: created.sessionId,
      version: other.version,
    });

    expect(response.status).toBe(409);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("session_version_conflict");
    expect(body.error.message).toContain(first.version);
    expect(body.error.message).toContain(other.version);
    expect(t.sandboxes.calls.length).toBe(callsBefore);
  });

  it("same version on an existing session is 200", async () => {
    const { version } = await publishVersion(randomChannel());
    const t = buildApp();
    const created = await (await t.createSession({ version })).json<SessionBody>();

    const response = await t.createSession({ sessionId: created.sessionId, version });

    expect(response.status).toBe(200);
  });

  it("given session id is kept", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const sessionId = `user_${crypto.randomUUID().slice(0, 8)}`;

    const body = await (await t.createSession({ sessionId, channel })).json<SessionBody>();

    expect(body.sessionId).toBe(sessionId);
    expect(t.sandboxes.callsOf({ sessionId }).length).toBeGreaterThan(0);
  });

  it("invalid bodies are 400", async () => {
    const t = buildApp();
    const cases: unknown[] = [
      { channel: "production", version: randomVersion() },
      { sessionId: "../escape" },
      { channel: "Not A Channel" },
      { version: "main" },
      { extra: true },
      "{not json",
    ];
    for (const body of cases) {
      const response = await t.createSession(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json<ErrorBody>()).error.code).toBe("invalid_request");
    }
    expect(t.sandboxes.calls).toEqual([]);
  });

  it("id the provider rejects is 400", async () => {
    const t = buildApp(
      {},
      recordingProvider({
        mountedFiles: bucketFilesUnder,
        sessionIdProblem: (id) => (id === "reserved" ? "the id is reserved" : undefined),
      }),
    );

    const response = await t.createSession({ sessionId: "reserved" });

    expect(response.status).toBe(400);
    expect((await response.json<ErrorBody>()).error.message).toContain("the id is reserved");
    expect(t.sandboxes.calls).toEqual([]);
  });

  it("missing token is 401, admin token 403", async () => {
    const t = buildApp();

    const missing = await t.request("/sessions", { method: "POST", body: {}, token: null });
    const wrong = await t.request("/sessions", { method: "POST", body: {}, token: "nope" });
    const admin = await t.request("/sessions", { method: "POST", body: {}, token: ADMIN_TOKEN });

    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(admin.status).toBe(403);
    expect(t.sandboxes.calls).toEqual([]);
  });

  it("invisible known file leaves no session", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const sessionId = `check_${crypto.randomUUID().slice(0, 8)}`;
    const broken = buildApp(AGENT_VARS, recordingProvider({ mountedFiles: async () => [] }));

    const response = await broken.createSession({ sessionId, channel });

    expect(response.status).toBe(502);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("mount_failed");
    expect(body.error.message).toContain(sessionId);
    expect(body.error.message).toContain(version);
    expect(body.error.message).toContain(`${MOUNT_PATH}/commit-messages/SKILL.md`);
    expect(broken.sandboxes.calls.map((call) => call.operation)).toEqual([
      "readSetupMarker",
      "mount",
      "exists",
      "unmount",
    ]);
    expect(broken.sandboxes.sandbox(sessionId).mounts.size).toBe(0);
    expect(await sessionStoreStub(env).lookup(sessionId)).toBeNull();

    const retry = await buildApp(AGENT_VARS).createSession({ sessionId, channel });
    expect(retry.status).toBe(201);
  });

  it("mount mode reads no manifest body", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    // A manifest the registry did not record: copy mode must reject it, a mount never reads it.
    const manifestKey = `manifests/${version}.json`;
    const stored = await env.SKILLS_BUCKET.get(manifestKey);
    await env.SKILLS_BUCKET.put(manifestKey, `${await stored?.text()}\n`);

    const mounted = await buildApp(AGENT_VARS).createSession({ channel });
    const copied = await buildApp({ MOUNT_MODE: "copy" }).createSession({ channel });

    expect(mounted.status).toBe(201);
    expect(copied.status).toBe(502);
    expect((await copied.json<ErrorBody>()).error.code).toBe("manifest_mismatch");
  });

  it("deleted manifest fails before mounting", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    await env.SKILLS_BUCKET.delete(`manifests/${version}.json`);
    const t = buildApp(AGENT_VARS);

    const response = await t.createSession({ channel });

    expect(response.status).toBe(502);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("manifest_missing");
    expect(body.error.message).toContain(version);
    expect(t.sandboxes.callsOf({ operation: "mount" })).toEqual([]);
  });

  it("unreachable bucket is a 503 before mounting", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const inner = new R2Bucket(env.SKILLS_BUCKET);
    const failing: Bucket = {
      get: (key) => inner.get(key),
      head: () => Promise.reject(new Error("connection reset")),
      list: (prefix, cursor) => inner.list(prefix, cursor),
      delete: (keys) => inner.delete(keys),
    };
    const t = buildApp(AGENT_VARS, undefined, failing);

    const response = await t.createSession({ channel });

    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("10");
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("bucket_unavailable");
    expect(body.error.message).toContain("connection reset");
    expect(t.sandboxes.callsOf({ operation: "mount" })).toEqual([]);
  });

  it("session without a known file finds it in the manifest", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const sessionId = `older_${crypto.randomUUID().slice(0, 8)}`;
    // As a session recorded before the store kept known files.
    await sessionStoreStub(env).claimSetup({
      sessionId,
      version,
      channel,
      manifestKey: `manifests/${version}.json`,
      manifestSha256: (await registryStub(env).getVersion(version))?.manifestSha256 ?? "",
      knownFile: null,
      nowMs: 0,
      leaseMs: 0,
      remount: false,
    });
    await sessionStoreStub(env).finishSetup(sessionId, 0);
    const t = buildApp(AGENT_VARS);

    const response = await t.createSession({ sessionId });

    expect(response.status).toBe(200);
    expect(t.sandboxes.callsOf({ operation: "exists" })[0]?.args).toEqual([
      `${MOUNT_PATH}/commit-messages/SKILL.md`,
    ]);
  });

  it("agent that never listens leaves no session", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const sessionId = `agent_${crypto.randomUUID().slice(0, 8)}`;
    const t = buildApp(
      AGENT_VARS,
      recordingProvider({ mountedFiles: bucketFilesUnder, processesListen: false }),
    );

    const response = await t.createSession({ sessionId, channel });

    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("10");
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("sandbox_unavailable");
    expect(body.error.message).toContain(sessionId);
    expect(body.error.message).toContain(version);
    expect(t.sandboxes.calls.map((call) => call.operation).slice(-3)).toEqual([
      "waitForPort",
      "kill",
      "unmount",
    ]);
    expect(t.sandboxes.sandbox(sessionId).killed).toEqual(["process-1"]);
    expect(t.sandboxes.callsOf({ operation: "writeSetupMarker" })).toEqual([]);
    expect(await sessionStoreStub(env).lookup(sessionId)).toBeNull();
  });

  it("agent without an API key fails before mounting", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp({ AGENT_COMMAND: "claude-agent" });

    const response = await t.createSession({ channel });

    expect(response.status).toBe(500);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("missing_secret");
    expect(body.error.message).toContain("wrangler secret put ANTHROPIC_API_KEY");
    expect(t.sandboxes.callsOf({ operation: "mount" })).toEqual([]);
  });

  it("copy mode copies the version", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const t = buildApp({ MOUNT_MODE: "copy" }, recordingProvider());

    const response = await t.createSession({ channel });

    expect(response.status).toBe(201);
    const { sessionId } = await response.json<SessionBody>();
    const sandbox = t.sandboxes.sandbox(sessionId);
    expect(sandbox.list(MOUNT_PATH)).toEqual(DEFAULT_FILES.map((file) => file.path).sort());
    expect(sandbox.files.get(`${MOUNT_PATH}/commit-messages/scripts/check.sh`)?.mode).toBe(0o555);
    expect(sandbox.marker).toBe(version);
    expect(t.sandboxes.callsOf({ operation: "mount" })).toEqual([]);
  });

  it("copy mode rejects an escaping manifest", async () => {
    const channel = randomChannel();
    const sessionId = `escape_${crypto.randomUUID().slice(0, 8)}`;
    await publishVersion(channel, randomVersion(), undefined, undefined, (manifest) => ({
      ...manifest,
      files: manifest.files.map((file, index) =>
        index === 0 ? { ...file, path: "../../../etc/profile.d/evil.sh" } : file,
      ),
    }));
    const t = buildApp({ MOUNT_MODE: "copy" }, recordingProvider());

    const response = await t.createSession({ sessionId, channel });

    expect(response.status).toBe(502);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("manifest_invalid");
    expect(body.error.message).toContain("..");
    expect(t.sandboxes.callsOf({ operation: "writeFile" })).toEqual([]);
    expect(t.sandboxes.callsOf({ operation: "exec" })).toEqual([]);
    expect(await sessionStoreStub(env).lookup(sessionId)).toBeNull();
  });

  it("unreachable container leaves no session", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const sessionId = `down_${crypto.randomUUID().slice(0, 8)}`;
    const t = buildApp();
    t.sandboxes.failNext("readSetupMarker", new Error("container failed to start"));

    const response = await t.createSession({ sessionId, channel });

    expect(response.status).toBe(503);
    const body = await response.json<ErrorBody>();
    expect(body.error.code).toBe("sandbox_unavailable");
    expect(body.error.message).toContain(sessionId);
    expect(body.error.message).not.toContain("container failed to start");
    expect(t.sandboxes.callsOf({ operation: "mount" })).toEqual([]);
    expect(await sessionStoreStub(env).lookup(sessionId)).toBeNull();
  });

  it("parallel requests mount once", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const sessionId = `race_${crypto.randomUUID().slice(0, 8)}`;
    const t = buildApp();

    const responses = await Promise.all(
      Array.from({ length: 4 }, () => t.createSession({ sessionId, channel })),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201).length).toBe(1);
    for (const status of statuses) expect([200, 201, 503]).toContain(status);
    expect(t.sandboxes.callsOf({ operation: "mount" }).length).toBe(1);
  });

  it("failed remount keeps the pinned version", async () => {
    const channel = randomChannel();
    const { version } = await publishVersion(channel);
    const t = buildApp();
    const created = await (await t.createSession({ channel })).json<SessionBody>();
    t.sandboxes.sandbox(created.sessionId).restart();
    t.sandboxes.failNext("mount", new Error("s3fs exited with status 1"));

    const failed = await t.createSession({ sessionId: created.sessionId });
    expect(failed.status).toBe(503);
    const record = await sessionStoreStub(env).lookup(created.sessionId);
    expect(record?.version).toBe(version);
    expect(record?.state).toBe("unmounted");

    const retried = await t.createSession({ sessionId: created.sessionId });
    expect(retried.status).toBe(200);
    expect((await retried.json<SessionBody>()).version).toBe(version);
    expect(t.sandboxes.sandbox(created.sessionId).marker).toBe(version);
  });
});
