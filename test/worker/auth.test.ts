import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireRole, tokensEqual } from "../../worker/auth.ts";
import { loadConfig, type WorkerConfig } from "../../worker/config.ts";
import { onError } from "../../worker/errors.ts";
import { type AppEnv, jsonLogger, requestLog } from "../../worker/log.ts";

function appWith(config: WorkerConfig) {
  const app = new Hono<AppEnv>();
  app.use(requestLog(jsonLogger(), () => Date.now()));
  app.onError(onError);
  app.get("/admin", requireRole(config, "admin"), (c) => c.json({ role: "admin" }));
  app.get("/session", requireRole(config, "session"), (c) => c.json({ role: "session" }));
  return app;
}

function get(app: Hono<AppEnv>, path: string, authorization?: string) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return app.request(`http://worker.test${path}`, { headers });
}

describe("requireRole", () => {
  const app = appWith(loadConfig(env));

  it("admits each role with its own token", async () => {
    expect((await get(app, "/admin", `Bearer ${env.ADMIN_TOKEN}`)).status).toBe(200);
    expect((await get(app, "/session", `Bearer ${env.SESSION_TOKEN}`)).status).toBe(200);
  });

  it("answers 403 to the other role's token", async () => {
    expect((await get(app, "/admin", `Bearer ${env.SESSION_TOKEN}`)).status).toBe(403);
    expect((await get(app, "/session", `Bearer ${env.ADMIN_TOKEN}`)).status).toBe(403);
  });

  it("answers 401 to a missing or wrong token", async () => {
    for (const header of [undefined, "", "Bearer", "Basic abc", `Bearer ${env.ADMIN_TOKEN}x`]) {
      const response = await get(app, "/admin", header);
      expect(response.status, String(header)).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).not.toContain(env.ADMIN_TOKEN ?? "unset");
    }
  });

  it("answers 500 when the role's token is not set", async () => {
    const config = loadConfig({ ...env, SESSION_TOKEN: undefined });
    const response = await get(appWith(config), "/session", "Bearer anything");
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain("SESSION_TOKEN");
  });
});

describe("tokensEqual", () => {
  it("compares by content", async () => {
    expect(await tokensEqual("abc", "abc")).toBe(true);
    expect(await tokensEqual("abc", "abd")).toBe(false);
    expect(await tokensEqual("abc", "abcd")).toBe(false);
  });
});
