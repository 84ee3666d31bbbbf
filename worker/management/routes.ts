/**
 * The management API, for the admin token: channels, versions and
 * rollbacks. Every channel and version in a path or body is checked against
 * the core id patterns before it reaches the Registry.
 */

import { Hono } from "hono";
import { z } from "zod";
import { assertChannel, assertVersionId, InvalidIdError } from "../../core/ids.ts";
import type { AppDeps } from "../app.ts";
import { requireRole } from "../auth.ts";
import { readJson } from "../body.ts";
import { HttpError } from "../errors.ts";
import { type AppEnv, annotate, requestLogger } from "../log.ts";

/** Largest rollback request body, in bytes. */
const MAX_ROLLBACK_BYTES = 16 * 1024;

const rollbackSchema = z.strictObject({
  version: z.string(),
  reason: z.string().trim().min(1).max(500),
});

function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidIdError) {
      throw new HttpError(400, "invalid_id", error.message, { cause: error });
    }
    throw error;
  }
}

export function managementRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = requireRole(deps.config, "admin");

  app.get("/channels", admin, async (c) => {
    return c.json({ channels: await deps.registry.listChannels() });
  });

  app.get("/channels/:channel", admin, async (c) => {
    const channel = checked(() => assertChannel(c.req.param("channel")));
    annotate(c, { channel });
    const detail = await deps.registry.getChannel(channel);
    if (detail === null) {
      throw new HttpError(
        404,
        "channel_not_found",
        `Channel "${channel}" has no published version`,
      );
    }
    return c.json(detail);
  });

  app.post("/channels/:channel/rollback", admin, async (c) => {
    const channel = checked(() => assertChannel(c.req.param("channel")));
    annotate(c, { channel });
    const parsed = rollbackSchema.safeParse(await readJson(c.req.raw, MAX_ROLLBACK_BYTES));
    if (!parsed.success) {
      throw new HttpError(
        400,
        "invalid_request",
        'Expected a JSON body {"version": "<version id>", "reason": "<why, 1 to 500 characters>"}',
      );
    }
    const version = checked(() => assertVersionId(parsed.data.version));
    annotate(c, { version });
    const result = await deps.registry.rollback(channel, version, parsed.data.reason);
    if (!result.ok) {
      const status = result.reason === "unknown-version" ? 404 : 409;
      throw new HttpError(status, result.reason.replace("-", "_"), result.message);
    }
    requestLogger(c).info("channel rolled back", { previous: result.previous });
    return c.json({ ...result.channel, previous: result.previous });
  });

  app.get("/versions", admin, async (c) => {
    return c.json({ versions: await deps.registry.listVersions() });
  });

  app.get("/versions/:version", admin, async (c) => {
    const version = checked(() => assertVersionId(c.req.param("version")));
    annotate(c, { version });
    const record = await deps.registry.getVersion(version);
    if (record === null) {
      throw new HttpError(404, "version_not_found", `Version ${version} is not recorded`);
    }
    return c.json(record);
  });

  return app;
}
