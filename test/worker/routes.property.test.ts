import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../core/encoding.ts";
import { signHeaders } from "../../core/signing.ts";
import {
  ADMIN_TOKEN,
  buildApp,
  publishVersion,
  SESSION_TOKEN,
  type TestApp,
} from "./sessions-fixtures.ts";
import {
  deliver,
  notificationFor,
  putVersion,
  randomVersion,
  signedDelivery,
} from "./support/publish.ts";

const WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0zMi1ieXRlcy1sb25nIQ==";
const LONG = (env as unknown as Record<string, unknown>).R2_SKILLS_LONG === "1";
const parameters = (short: number, long: number) => ({
  seed: 20_261_204,
  numRuns: LONG ? long : short,
});

/** Statuses the routes document for bad input. */
const CLIENT_ERRORS = [400, 401, 403, 404, 405, 409, 413, 415, 422, 426];
/** 503s a route documents as "retry later" for a well-formed request. */
const RETRY_CODES = ["manifest_not_found", "session_busy"];

const hostileText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.constantFrom(
    "..",
    "../..",
    "%2e%2e",
    "a/../b",
    "\u0000",
    "production\n",
    "PRODUCTION",
    " ",
    "-x",
    "a".repeat(300),
  ),
  fc.stringMatching(/^[0-9a-f]{40}$/),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/),
);

const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        sessionId: fc.oneof(hostileText, fc.jsonValue()),
        channel: fc.oneof(hostileText, fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        version: fc.oneof(hostileText, fc.jsonValue()),
        reason: fc.oneof(hostileText, fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    "",
    "{",
    "[]",
    "null",
    '{"__proto__":{"x":1}}',
    "\ufeff{}",
    "{}".padEnd(5000, " "),
  ),
);

let harness: TestApp;

beforeAll(async () => {
  harness = buildApp({ MOUNT_MODE: "copy" });
  await publishVersion("production");
});

async function check(response: Response, label: string): Promise<void> {
  const text = await response.text();
  if (response.status >= 500) {
    const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? "";
    expect(
      response.status === 503 && RETRY_CODES.includes(code),
      `${label} -> ${response.status} ${text}`,
    ).toBe(true);
    return;
  }
  if (response.status >= 400) {
    expect(CLIENT_ERRORS, `${label} -> ${response.status} ${text}`).toContain(response.status);
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code).toBe("string");
    expect(typeof body.error?.message).toBe("string");
  }
}

function request(
  path: string,
  init: { method: string; token?: string; body?: string; headers?: Record<string, string> },
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  return harness.app.request(`http://worker.test${path}`, {
    method: init.method,
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

describe("route properties", () => {
  it("management routes reject hostile ids", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileText,
        fc.constantFrom("channels", "versions", "rollback"),
        hostileJson,
        async (value, route, body) => {
          const segment = encodeURIComponent(value);
          const path =
            route === "rollback" ? `/channels/${segment}/rollback` : `/${route}/${segment}`;
          const method = route === "rollback" ? "POST" : "GET";
          await check(
            await request(path, {
              method,
              token: ADMIN_TOKEN,
              body: method === "POST" ? body : undefined,
            }),
            `${method} ${path}`,
          );
        },
      ),
      parameters(150, 2000),
    );
  });

  it("session route rejects hostile bodies", async () => {
    await fc.assert(
      fc.asyncProperty(hostileJson, async (body) => {
        await check(
          await request("/sessions", { method: "POST", token: SESSION_TOKEN, body }),
          `POST /sessions ${body.slice(0, 80)}`,
        );
      }),
      parameters(150, 2000),
    );
  });

  it("ws route rejects hostile queries", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileText,
        hostileText,
        fc.boolean(),
        async (sessionId, ticket, upgrade) => {
          const query = `sessionId=${encodeURIComponent(sessionId)}&ticket=${encodeURIComponent(ticket)}`;
          const headers: Record<string, string> = upgrade ? { upgrade: "websocket" } : {};
          await check(
            await request(`/ws?${query}`, { method: "GET", headers }),
            `GET /ws?${query}`,
          );
        },
      ),
      parameters(150, 2000),
    );
  });

  it("webhook rejects unsigned hostile deliveries", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileText,
        hostileText,
        hostileText,
        hostileJson,
        async (id, timestamp, signature, body) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of [
            ["webhook-id", id],
            ["webhook-timestamp", timestamp],
            ["webhook-signature", signature],
          ]) {
            // Header values cannot carry control characters; the rest go through as sent.
            if (name !== undefined && value !== undefined && /^[\x20-\x7e]*$/.test(value))
              headers[name] = value;
          }
          const response = await request("/webhooks/publish", { method: "POST", body, headers });
          expect(response.status).toBe(401);
          await check(response, "POST /webhooks/publish");
        },
      ),
      parameters(150, 2000),
    );
  });

  it("webhook rejects signed hostile bodies", async () => {
    let index = 0;
    await fc.assert(
      fc.asyncProperty(hostileJson, async (body) => {
        index += 1;
        const signed = await signHeaders(
          WEBHOOK_SECRET,
          `msg_property_${index}_${crypto.randomUUID()}`,
          Math.floor(harness.clock.ms / 1000),
          body,
        );
        const response = await request("/webhooks/publish", {
          method: "POST",
          body,
          headers: { ...signed },
        });
        expect(response.status).not.toBe(200);
        await check(response, `signed POST /webhooks/publish ${body.slice(0, 80)}`);
      }),
      parameters(150, 2000),
    );
  });

  it("unknown routes and methods answer 404", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileText,
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
        async (value, method) => {
          const path = `/${encodeURIComponent(value)}/x`;
          const response = await request(path, { method, token: ADMIN_TOKEN });
          await check(response, `${method} ${path}`);
        },
      ),
      parameters(100, 1000),
    );
  });
});

describe("webhook with hostile manifests", () => {
  const cases: [string, (text: string) => string][] = [
    ["a .. path", (text) => text.replace('"demo/SKILL.md"', '"demo/../../etc/passwd"')],
    ["an absolute path", (text) => text.replace('"demo/SKILL.md"', '"/etc/passwd"')],
    ["a NUL path", (text) => text.replace('"demo/SKILL.md"', '"demo/a\\u0000b"')],
    ["a negative size", (text) => text.replace(/"size": \d+/, '"size": -1')],
    ["an unsafe size", (text) => text.replace(/"size": \d+/, '"size": 1e300')],
    ["invalid JSON", (text) => text.slice(0, -3)],
    ["a skill name unlike its folder", (text) => text.replace('"name": "demo"', '"name": "other"')],
    ["an unsafe skill name", (text) => text.replace('"name": "demo"', '"name": "../../etc"')],
  ];

  it.each(cases)("rejects %s with 422", async (_name, mutate) => {
    const stored = await putVersion(randomVersion());
    const text = mutate(stored.manifestText);
    expect(text).not.toBe(stored.manifestText);
    await env.SKILLS_BUCKET.put(stored.manifestKey, text);
    const hostile = { ...stored, manifestText: text, manifestSha256: await sha256Hex(text) };
    const response = await deliver(
      harness.app,
      await signedDelivery(JSON.stringify(notificationFor(hostile)), {
        timestamp: Math.floor(harness.clock.ms / 1000),
      }),
    );
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("manifest_invalid");
  });
});

describe("session route body limit", () => {
  it("rejects an endless body with 413", async () => {
    // The stream sends more than the limit and then never ends, so only a
    // reader that stops at the limit can respond.
    const chunk = new TextEncoder().encode(`{"channel":"${"x".repeat(1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent < 8) {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await harness.app.request("http://worker.test/sessions", {
      method: "POST",
      headers: { authorization: `Bearer ${SESSION_TOKEN}`, "content-type": "application/json" },
      body,
      // @ts-expect-error: workerd needs duplex for a streamed request body; the DOM type lacks it.
      duplex: "half",
    });
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(8);
  });
});
