import { describe, expect, it } from "vitest";
import { buildApp, publishVersion, randomChannel, type TestApp } from "./sessions-fixtures.ts";

interface SessionBody {
  sessionId: string;
  ticket: string;
}

interface ErrorBody {
  error: { code: string; message: string };
}

async function newSession(t: TestApp, channel: string): Promise<SessionBody> {
  const response = await t.createSession({ channel });
  expect(response.status).toBe(201);
  return response.json<SessionBody>();
}

function connect(t: TestApp, sessionId: string, ticket: string, upgrade = true): Promise<Response> {
  const query = new URLSearchParams({ sessionId, ticket });
  return t.request(`/ws?${query}`, {
    token: null,
    headers: upgrade ? { upgrade: "websocket", connection: "Upgrade" } : {},
  });
}

describe("GET /ws", () => {
  it("valid ticket proxies to the agent port", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const session = await newSession(t, channel);

    const response = await connect(t, session.sessionId, session.ticket);

    expect(response.status).toBe(101);
    const socket = response.webSocket;
    expect(socket).not.toBeNull();
    const calls = t.sandboxes.callsOf({ operation: "wsConnect" });
    expect(calls.length).toBe(1);
    const [url, port] = calls[0]?.args ?? [];
    expect(port).toBe(3001);
    expect(String(url)).toContain(`sessionId=${session.sessionId}`);
    expect(String(url)).not.toContain("ticket");
    expect(String(url)).not.toContain(session.ticket);

    // The recording sandbox echoes, so a message sent through the proxy comes back.
    socket?.accept();
    const echoed = new Promise<string>((resolve) => {
      socket?.addEventListener("message", (event) => resolve(String(event.data)));
    });
    socket?.send("hello agent");
    expect(await echoed).toBe("hello agent");
    socket?.close();
  });

  it("reused ticket is 401", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const session = await newSession(t, channel);
    expect((await connect(t, session.sessionId, session.ticket)).status).toBe(101);

    const again = await connect(t, session.sessionId, session.ticket);

    expect(again.status).toBe(401);
    expect((await again.json<ErrorBody>()).error.code).toBe("ticket_used");
    expect(t.sandboxes.callsOf({ operation: "wsConnect" }).length).toBe(1);
  });

  it("expired ticket is 401", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const session = await newSession(t, channel);
    t.clock.advance(60_001);

    const response = await connect(t, session.sessionId, session.ticket);

    expect(response.status).toBe(401);
    expect((await response.json<ErrorBody>()).error.code).toBe("ticket_expired");
    expect(t.sandboxes.callsOf({ operation: "wsConnect" })).toEqual([]);
  });

  it("ticket just before expiry works", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const session = await newSession(t, channel);
    t.clock.advance(59_999);

    expect((await connect(t, session.sessionId, session.ticket)).status).toBe(101);
  });

  it("ticket of another session is 403", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const first = await newSession(t, channel);
    const second = await newSession(t, channel);

    const response = await connect(t, second.sessionId, first.ticket);

    expect(response.status).toBe(403);
    expect((await response.json<ErrorBody>()).error.code).toBe("ticket_wrong_session");
    // The ticket is used up, so its own session cannot use it either.
    const own = await connect(t, first.sessionId, first.ticket);
    expect(own.status).toBe(401);
    expect(t.sandboxes.callsOf({ operation: "wsConnect" })).toEqual([]);
  });

  it("unknown or malformed ticket is 401", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const session = await newSession(t, channel);

    const unknown = await connect(t, session.sessionId, "A".repeat(43));
    const malformed = await connect(t, session.sessionId, "short");

    expect(unknown.status).toBe(401);
    expect((await unknown.json<ErrorBody>()).error.code).toBe("ticket_unknown");
    expect(malformed.status).toBe(401);
    expect((await malformed.json<ErrorBody>()).error.code).toBe("invalid_ticket");
  });

  it("restarted container is 409", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const session = await newSession(t, channel);
    t.sandboxes.sandbox(session.sessionId).restart();

    const response = await connect(t, session.sessionId, session.ticket);

    expect(response.status).toBe(409);
    expect((await response.json<ErrorBody>()).error.message).toContain("POST /sessions");
    expect(t.sandboxes.callsOf({ operation: "wsConnect" })).toEqual([]);
    const again = await t.createSession({ sessionId: session.sessionId });
    expect(again.status).toBe(200);
    const ticket = (await again.json<SessionBody>()).ticket;
    expect((await connect(t, session.sessionId, ticket)).status).toBe(101);
  });

  it("plain GET is 426 and keeps the ticket", async () => {
    const channel = randomChannel();
    await publishVersion(channel);
    const t = buildApp();
    const session = await newSession(t, channel);

    const plain = await connect(t, session.sessionId, session.ticket, false);

    expect(plain.status).toBe(426);
    expect((await connect(t, session.sessionId, session.ticket)).status).toBe(101);
  });

  it("invalid session id is 400", async () => {
    const t = buildApp();

    const response = await connect(t, "../etc", "A".repeat(43));

    expect(response.status).toBe(400);
  });
});
