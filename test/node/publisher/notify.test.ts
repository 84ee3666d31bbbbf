import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { headSchema } from "../../../core/head.ts";
import { notificationSchema } from "../../../core/notification.ts";
import { PublishError } from "../../../publisher/errors.ts";
import {
  type NotificationData,
  notifyVersion,
  parseDecision,
  retryAfterMs,
  sendNotification,
} from "../../../publisher/notify.ts";
import { publish } from "../../../publisher/publish.ts";
import type { NotifySettings } from "../../../publisher/types.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

const SECRET = `whsec_${Buffer.alloc(32, 42).toString("base64")}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

type Reply = (response: ServerResponse) => void;

interface Receiver {
  url: string;
  received: Received[];
  replies: Reply[];
  close(): Promise<void>;
}

const ok: Reply = (response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.end('{"ok":true}');
};

async function startReceiver(): Promise<Receiver> {
  const open = new Set<ServerResponse>();
  const receiver: Receiver = {
    url: "",
    received: [],
    replies: [],
    close: async () => {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      receiver.received.push({ headers: request.headers, body, at: Date.now() });
      open.add(response);
      const reply = receiver.replies.shift() ?? ok;
      reply(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/publish?token=abc`;
  return receiver;
}

function verified(received: Received): unknown {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(received.headers)) {
    if (typeof value === "string") headers[name] = value;
  }
  return new Webhook(SECRET).verify(received.body, headers);
}

const DATA: NotificationData = {
  version: "a".repeat(40),
  channel: "production",
  manifestKey: `manifests/${"a".repeat(40)}.json`,
  manifestSha256: "b".repeat(64),
  base: null,
  repository: "acme/skills",
  ref: "refs/heads/main",
  commit: { sha: "a".repeat(40), timestamp: "2026-01-02T03:04:05+00:00" },
  run: { id: "7", attempt: 1, url: null },
  publishedAt: "2026-01-02T03:05:00.000Z",
};

let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function settingsFor(url: string, overrides: Partial<NotifySettings> = {}): NotifySettings {
  return { url, secret: SECRET, attempts: 3, timeoutMs: 5_000, ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof PublishError) return error;
    throw error;
  }
  throw new Error("expected a PublishError");
}

describe("sendNotification", () => {
  it("sends a body the reference verifies", async () => {
    const logger = recordingLogger();

    const response = await sendNotification(settingsFor(receiver.url), DATA, logger);

    expect(response).toEqual({ status: 200, body: '{"ok":true}' });
    expect(receiver.received).toHaveLength(1);
    const [received] = receiver.received;
    if (received === undefined) throw new Error("no request");
    expect(verified(received)).toMatchObject({ type: "skills.published", data: DATA });
    expect(received.headers["content-type"]).toBe("application/json");
    expect(received.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
    const body = notificationSchema.parse(JSON.parse(received.body));
    expect(body.data).toEqual(DATA);
    expect(Object.keys(JSON.parse(received.body))).toEqual(["type", "timestamp", "data"]);
    const logged = JSON.stringify(logger.lines);
    expect(logged).not.toContain(SECRET.slice(6));
    expect(logged).not.toContain("token=abc");
  });

  it("keeps the webhook id across retries", async () => {
    receiver.replies.push((response) => {
      response.writeHead(503, { "retry-after": "1", "content-type": "application/json" });
      response.end('{"error":"unavailable"}');
    });

    const response = await sendNotification(settingsFor(receiver.url), DATA, recordingLogger());

    expect(response.status).toBe(200);
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    if (first === undefined || second === undefined) throw new Error("missing requests");
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(second.at - first.at).toBeGreaterThanOrEqual(1000);
    expect(Number(second.headers["webhook-timestamp"])).toBeGreaterThan(
      Number(first.headers["webhook-timestamp"]),
    );
    expect(second.headers["webhook-signature"]).not.toBe(first.headers["webhook-signature"]);
    expect(verified(first)).toBeDefined();
    expect(verified(second)).toBeDefined();
  });

  it("fails at once on a 4xx with the reply's message", async () => {
    receiver.replies.push((response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ error: "invalid_body", message: "Invalid manifestKey: expected x" }),
      );
    });

    const error = await rejection(
      sendNotification(settingsFor(receiver.url), DATA, recordingLogger()),
    );

    expect(error.code).toBe("notify-rejected");
    expect(error.message).toContain("HTTP 400");
    expect(error.message).toContain("Invalid manifestKey: expected x");
    expect(receiver.received).toHaveLength(1);
  });

  it("names the route on a 404", async () => {
    receiver.replies.push((response) => {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ error: { code: "not_found", message: "No route for POST /" } }),
      );
    });
    const error = await rejection(
      sendNotification(settingsFor(receiver.url), DATA, recordingLogger()),
    );
    expect(error.code).toBe("notify-rejected");
    expect(error.message).toContain("/webhooks/publish route");
  });

  it("names the secret on a 401", async () => {
    receiver.replies.push((response) => {
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: "No webhook-signature matches" }));
    });
    const error = await rejection(
      sendNotification(settingsFor(receiver.url), DATA, recordingLogger()),
    );
    expect(error.message).toContain("No webhook-signature matches");
    expect(error.message).toContain("WEBHOOK_SECRET");
    expect(error.message).not.toContain(SECRET);
  });

  it("rejects a malformed secret before sending", async () => {
    const error = await rejection(
      sendNotification(
        settingsFor(receiver.url, { secret: "not-a-secret" }),
        DATA,
        recordingLogger(),
      ),
    );
    expect(error.code).toBe("invalid-settings");
    expect(error.message).toContain("whsec_");
    expect(error.message).not.toContain("not-a-secret");
    expect(receiver.received).toHaveLength(0);
  });

  it("retries a hanging Worker after the timeout", async () => {
    receiver.replies.push(() => {
      // Never answers.
    });
    const response = await sendNotification(
      settingsFor(receiver.url, { timeoutMs: 1000 }),
      DATA,
      recordingLogger(),
    );
    expect(response.status).toBe(200);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.headers["webhook-id"]).toBe(
      receiver.received[0]?.headers["webhook-id"],
    );
  });

  it("gives up after the last attempt", async () => {
    for (let i = 0; i < 3; i++) {
      receiver.replies.push((response) => {
        response.writeHead(502, { "retry-after": "0" });
        response.end("Bad gateway");
      });
    }
    const error = await rejection(
      sendNotification(settingsFor(receiver.url), DATA, recordingLogger()),
    );
    expect(error.code).toBe("notify-failed");
    expect(error.message).toContain("3 attempts");
    expect(error.message).toContain("HTTP 502");
    expect(receiver.received).toHaveLength(3);
  });

  it("retries refused connections", async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const error = await rejection(
      sendNotification(settingsFor(url, { attempts: 2 }), DATA, recordingLogger()),
    );
    expect(error.code).toBe("notify-failed");
    expect(error.message).toContain("2 attempts");
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and dates and caps them", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs("3600")).toBe(30_000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 5_000)).toBe(5_000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe("publish notification", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
  });
  afterEach(async () => {
    await h.close();
  });

  it("notifies after the head is written", async () => {
    const sha = await h.repo.commit({ message: "Add pdf" });

    const result = await publish(
      h.settings({ notify: settingsFor(receiver.url) }),
      recordingLogger(),
    );

    expect(result.notified).toBe(true);
    const [received] = receiver.received;
    if (received === undefined) throw new Error("no notification");
    const body = notificationSchema.parse(verified(received));
    const head = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(body.data).toEqual({
      version: sha,
      channel: "production",
      manifestKey: `manifests/${sha}.json`,
      manifestSha256: head.manifestSha256,
      base: null,
      repository: "acme/skills",
      ref: "refs/heads/main",
      commit: head.commit,
      run: head.run,
      publishedAt: head.publishedAt,
    });
  });

  it("rejects a malformed secret before writing", async () => {
    await h.repo.commit({ message: "Add pdf" });

    const error = await rejection(
      publish(
        h.settings({ notify: settingsFor(receiver.url, { secret: `${SECRET} whsec_short` }) }),
        recordingLogger(),
      ),
    );

    expect(error.code).toBe("invalid-settings");
    expect(await h.keys()).toEqual([]);
    expect(receiver.received).toHaveLength(0);
  });

  it("reports a published version the Worker rejected", async () => {
    const sha = await h.repo.commit({ message: "Add pdf" });
    receiver.replies.push((response) => {
      response.writeHead(422, { "content-type": "application/json" });
      response.end('{"message":"Manifest not found"}');
    });

    const error = await rejection(
      publish(h.settings({ notify: settingsFor(receiver.url) }), recordingLogger()),
    );

    expect(error.code).toBe("notify-rejected");
    expect(error.message).toContain(`Version ${sha} is published`);
    expect(error.message).toContain("Manifest not found");
    expect(error.message).toContain(`r2-skills notify ${sha} --channel production`);
    expect(await h.exists(`manifests/${sha}.json`)).toBe(true);
  });

  it("rebuilds a notification for an existing version", async () => {
    const first = await h.repo.commit({ message: "Add pdf" });
    await publish(h.settings(), recordingLogger());
    await h.repo.write("skills/pdf/notes.md", "More.\n");
    const second = await h.repo.commit({ message: "Add notes" });
    await publish(h.settings(), recordingLogger());
    const head = headSchema.parse(JSON.parse(await h.text("heads/production.json")));

    const current = await notifyVersion(
      {
        store: h.storeSettings(),
        notify: settingsFor(receiver.url),
        channel: "production",
        version: second,
      },
      recordingLogger(),
    );
    expect(current.status).toBe(200);
    expect(current.data.publishedAt).toBe(head.publishedAt);
    expect(current.data.base).toBe(first);
    expect(current.data.manifestSha256).toBe(head.manifestSha256);

    const logger = recordingLogger();
    const older = await notifyVersion(
      {
        store: h.storeSettings(),
        notify: settingsFor(receiver.url),
        channel: "production",
        version: first,
      },
      logger,
    );
    expect(older.data.version).toBe(first);
    expect(older.data.base).toBeNull();
    expect(older.data.commit.sha).toBe(first);
    expect(logger.lines.some((line) => line.level === "warn")).toBe(true);
    expect(receiver.received).toHaveLength(2);
    for (const received of receiver.received) expect(verified(received)).toBeDefined();
    // Notifying writes nothing: the head still names the second version.
    expect(headSchema.parse(JSON.parse(await h.text("heads/production.json"))).version).toBe(
      second,
    );

    const missing = await rejection(
      notifyVersion(
        {
          store: h.storeSettings(),
          notify: settingsFor(receiver.url),
          channel: "production",
          version: "c".repeat(40),
        },
        recordingLogger(),
      ),
    );
    expect(missing.code).toBe("not-found");
  });
});

describe("parseDecision", () => {
  it("reads current and reason", () => {
    expect(parseDecision('{"version":"v","current":false,"reason":"older"}')).toEqual({
      current: false,
      reason: "older",
    });
  });

  it("ignores replies without a decision", () => {
    for (const body of [
      "",
      "not json",
      "null",
      "[]",
      '{"current":"yes","reason":"x"}',
      '{"current":true}',
    ]) {
      expect(parseDecision(body), body).toBeUndefined();
    }
  });
});
