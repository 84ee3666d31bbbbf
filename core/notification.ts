/**
 * The publish notification: the JSON body the publisher POSTs to the Worker
 * after the manifest and head are written, signed per Standard Webhooks.
 */

import { z } from "zod";
import { runSchema } from "./head.ts";
import { CHANNEL_PATTERN, SHA256_PATTERN, VERSION_ID_PATTERN } from "./ids.ts";
import { manifestKey } from "./keys.ts";

export const NOTIFICATION_TYPE = "skills.published";

/** Largest notification body the Worker reads, in bytes. */
export const MAX_NOTIFICATION_BYTES = 64 * 1024;

export const notificationSchema = z.strictObject({
  type: z.literal(NOTIFICATION_TYPE),
  /** When the notification was built, ISO 8601. */
  timestamp: z.iso.datetime({ offset: true }),
  data: z.strictObject({
    version: z.string().regex(VERSION_ID_PATTERN),
    channel: z.string().regex(CHANNEL_PATTERN),
    manifestKey: z.string().min(1).max(1024),
    manifestSha256: z.string().regex(SHA256_PATTERN),
    base: z.string().regex(VERSION_ID_PATTERN).nullable(),
    repository: z.string().max(200).nullable(),
    /** The git ref that was pushed (`refs/heads/main`), or `null` for a local publish. */
    ref: z.string().max(1000).nullable(),
    commit: z.strictObject({
      sha: z
        .string()
        .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/)
        .nullable(),
      timestamp: z.iso.datetime({ offset: true }),
    }),
    run: runSchema.nullable(),
    /** When the head was written; the tie-breaker after commit time. */
    publishedAt: z.iso.datetime({ offset: true }),
  }),
});

export type PublishNotification = z.infer<typeof notificationSchema>;

/**
 * Parses a notification body. Besides the schema, the manifest key must be
 * the one the version implies under the Worker's root prefix.
 */
export function parseNotification(
  json: unknown,
  rootPrefix: string,
): { ok: true; notification: PublishNotification } | { ok: false; message: string } {
  const result = notificationSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    return { ok: false, message: `Invalid notification body: ${problems}` };
  }
  const expected = manifestKey(rootPrefix, result.data.data.version);
  if (result.data.data.manifestKey !== expected) {
    return {
      ok: false,
      message: `Invalid manifestKey ${JSON.stringify(result.data.data.manifestKey)}: expected ${JSON.stringify(expected)} for version ${result.data.data.version}; check that the publisher's prefix matches the Worker's SKILLS_PREFIX`,
    };
  }
  return { ok: true, notification: result.data };
}
