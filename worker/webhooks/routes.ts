/**
 * `POST /webhooks/publish`: the publisher's notification that a version is
 * complete. The route verifies the signature, parses the notification and
 * checks the manifest in the bucket; the Registry then records the version
 * and decides whether it becomes current, in one RPC call.
 */

import { Hono } from "hono";
import { sha256Hex } from "../../core/encoding.ts";
import { InvalidManifestError, parseManifest } from "../../core/manifest.ts";
import { MAX_NOTIFICATION_BYTES, parseNotification } from "../../core/notification.ts";
import type { AppDeps } from "../app.ts";
import { decodeUtf8, readBodyBytes } from "../body.ts";
import { HttpError } from "../errors.ts";
import { type AppEnv, annotate, requestLogger } from "../log.ts";
import { summarize } from "./summary.ts";
import { verifyDelivery } from "./verify.ts";

/** Seconds the publisher waits before retrying when the manifest is not visible yet. */
export const MANIFEST_RETRY_AFTER_SECONDS = 5;

export function webhookRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/webhooks/publish", async (c) => {
    const bytes = await readBodyBytes(c.req.raw, MAX_NOTIFICATION_BYTES);
    const body = decodeUtf8(bytes);
    const webhookId = await verifyDelivery(deps.config, c.req.raw.headers, body, deps.now());
    annotate(c, { webhookId });

    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      throw new HttpError(400, "invalid_notification", "Notification body is not valid JSON", {
        cause: error,
      });
    }
    const parsed = parseNotification(json, deps.config.rootPrefix);
    if (!parsed.ok) throw new HttpError(400, "invalid_notification", parsed.message);
    const data = parsed.notification.data;
    annotate(c, { version: data.version, channel: data.channel });

    const bodySha256 = await sha256Hex(bytes);
    const delivery = await deps.registry.findDelivery(webhookId, bodySha256);
    if (delivery.kind === "conflict") {
      throw new HttpError(
        409,
        "webhook_id_reused",
        `webhook-id ${JSON.stringify(webhookId)} was already delivered with another body; give each new notification a new id`,
      );
    }
    if (delivery.kind === "replay") {
      annotate(c, { replay: true });
      return c.json(delivery.response.body, delivery.response.status);
    }

    const manifest = await deps.bucket.get(data.manifestKey);
    if (manifest === null) {
      throw new HttpError(
        503,
        "manifest_not_found",
        `Manifest ${JSON.stringify(data.manifestKey)} is not in the bucket yet; retry later, or check that the publisher and the Worker use the same bucket and SKILLS_PREFIX`,
        { headers: { "Retry-After": String(MANIFEST_RETRY_AFTER_SECONDS) } },
      );
    }
    const manifestBytes = new Uint8Array(await manifest.arrayBuffer());
    const manifestSha256 = await sha256Hex(manifestBytes);
    if (manifestSha256 !== data.manifestSha256) {
      throw new HttpError(
        422,
        "manifest_mismatch",
        `Manifest ${JSON.stringify(data.manifestKey)} has sha256 ${manifestSha256}, but the notification names ${data.manifestSha256}; publish the version again`,
      );
    }
    let summary: ReturnType<typeof summarize>;
    try {
      const content = parseManifest(decodeUtf8(manifestBytes), data.manifestKey);
      if (content.version !== data.version) {
        throw new HttpError(
          422,
          "manifest_mismatch",
          `Manifest ${JSON.stringify(data.manifestKey)} describes version ${content.version}, not ${data.version}`,
        );
      }
      summary = summarize(content);
    } catch (error) {
      if (error instanceof InvalidManifestError) {
        throw new HttpError(422, "manifest_invalid", error.message, { cause: error });
      }
      if (error instanceof HttpError && error.status === 400) {
        throw new HttpError(
          422,
          "manifest_invalid",
          `Manifest ${JSON.stringify(data.manifestKey)} is not valid UTF-8`,
        );
      }
      throw error;
    }

    const response = await deps.registry.publish({
      webhookId,
      bodySha256,
      notification: parsed.notification,
      summary,
    });
    if (response.status === 503) {
      throw new HttpError(503, response.body.error.code, response.body.error.message, {
        headers: { "Retry-After": String(MANIFEST_RETRY_AFTER_SECONDS) },
      });
    }
    requestLogger(c).info("publish recorded", { status: response.status });
    return c.json(response.body, response.status);
  });

  return app;
}
