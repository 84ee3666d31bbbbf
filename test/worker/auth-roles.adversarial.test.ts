/** Roles stay apart only while ADMIN_TOKEN and SESSION_TOKEN differ. */

import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireRole } from "../../worker/auth.ts";
import { loadConfig } from "../../worker/config.ts";
import { onError } from "../../worker/errors.ts";
import { type AppEnv, jsonLogger, requestLog } from "../../worker/log.ts";

describe("requireRole with one token for both roles", () => {
  const shared = "same-token-for-both-roles";
  const config = loadConfig({ ...env, ADMIN_TOKEN: shared, SESSION_TOKEN: shared });
  const app = new Hono<AppEnv>();
  app.use(requestLog(jsonLogger(), () => Date.now()));
  app.onError(onError);
  app.get("/admin", requireRole(config, "admin"), (c) => c.json({ role: "admin" }));
  app.get("/session", requireRole(config, "session"), (c) => c.json({ role: "session" }));

  it("admits neither role and names both secrets", async () => {
    for (const path of ["/admin", "/session"]) {
      const response = await app.request(`http://worker.test${path}`, {
        headers: { authorization: `Bearer ${shared}` },
      });
      expect(response.status, path).toBe(500);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message, path).toContain("ADMIN_TOKEN");
      expect(body.error.message, path).toContain("SESSION_TOKEN");
      expect(body.error.message, path).not.toContain(shared);
    }
  });
});
