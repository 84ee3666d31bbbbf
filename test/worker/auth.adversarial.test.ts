import { beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  buildApp,
  publishVersion,
  SESSION_TOKEN,
  type TestApp,
} from "./sessions-fixtures.ts";

let harness: TestApp;
let version: string;

beforeAll(async () => {
  harness = buildApp({ MOUNT_MODE: "copy" });
  version = (await publishVersion("production")).version;
});

type Role = "admin" | "session";

function routes(): { method: string; path: string; role: Role; body?: string }[] {
  return [
    { method: "GET", path: "/channels", role: "admin" },
    { method: "GET", path: "/channels/production", role: "admin" },
    {
      method: "POST",
      path: "/channels/production/rollback",
      role: "admin",
      body: JSON.stringify({ version, reason: "auth test" }),
    },
    { method: "GET", path: "/versions", role: "admin" },
    { method: "GET", path: `/versions/${version}`, role: "admin" },
    { method: "POST", path: "/sessions", role: "session", body: "{}" },
    { method: "POST", path: "/sessions", role: "session", body: JSON.stringify({ version }) },
  ];
}

const TOKENS: { label: string; header: (role: Role) => string | undefined; status: number }[] = [
  { label: "no token", header: () => undefined, status: 401 },
  { label: "an empty bearer", header: () => "Bearer ", status: 401 },
  { label: "a wrong token", header: () => "Bearer not-the-token", status: 401 },
  {
    label: "a token with a suffix",
    header: (role) => `Bearer ${role === "admin" ? ADMIN_TOKEN : SESSION_TOKEN}x`,
    status: 401,
  },
  {
    label: "a basic scheme",
    header: (role) => `Basic ${role === "admin" ? ADMIN_TOKEN : SESSION_TOKEN}`,
    status: 401,
  },
  {
    label: "the other role's token",
    header: (role) => `Bearer ${role === "admin" ? SESSION_TOKEN : ADMIN_TOKEN}`,
    status: 403,
  },
];

describe("route authentication", () => {
  for (const token of TOKENS) {
    it(`rejects ${token.label} on every route`, async () => {
      for (const route of routes()) {
        const headers: Record<string, string> = {};
        const value = token.header(route.role);
        if (value !== undefined) headers.authorization = value;
        if (route.body !== undefined) headers["content-type"] = "application/json";
        const response = await harness.app.request(`http://worker.test${route.path}`, {
          method: route.method,
          headers,
          ...(route.body === undefined ? {} : { body: route.body }),
        });
        const label = `${route.method} ${route.path} with ${token.label}`;
        expect(response.status, label).toBe(token.status);
        const body = (await response.json()) as Record<string, unknown>;
        // Only the error object: no channel, version or session data.
        expect(Object.keys(body), label).toEqual(["error"]);
        const text = JSON.stringify(body);
        expect(text, label).not.toContain(ADMIN_TOKEN);
        expect(text, label).not.toContain(SESSION_TOKEN);
        expect(text, label).not.toContain(version);
      }
      // Nothing was mounted and no session was set up by a rejected request.
      expect(harness.sandboxes.callsOf({ operation: "mount" })).toEqual([]);
      expect(harness.sandboxes.callsOf({ operation: "writeFile" })).toEqual([]);
    });
  }

  it("rejects tokens on the webhook without a signature", async () => {
    for (const token of [ADMIN_TOKEN, SESSION_TOKEN]) {
      const response = await harness.app.request("http://worker.test/webhooks/publish", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(401);
    }
  });

  it("rejects the ws route without a ticket", async () => {
    for (const token of [ADMIN_TOKEN, SESSION_TOKEN]) {
      const response = await harness.app.request(`http://worker.test/ws?sessionId=abc`, {
        headers: { authorization: `Bearer ${token}`, upgrade: "websocket" },
      });
      expect(response.status).toBe(401);
    }
  });
});
