/**
 * The head: `heads/<channel>.json`, the last version published to a channel.
 * The publisher reads it to find the base of the next version; it also
 * records the run and time of the publish, which the manifest leaves out.
 */

import { z } from "zod";
import { CHANNEL_PATTERN, SHA256_PATTERN, VERSION_ID_PATTERN } from "./ids.ts";

export const runSchema = z.strictObject({
  /** The CI run id (`GITHUB_RUN_ID`), or a local label. */
  id: z.string().max(100),
  attempt: z.number().int().positive(),
  url: z.string().max(2000).nullable(),
});

export const headSchema = z.strictObject({
  schema: z.literal(1),
  channel: z.string().regex(CHANNEL_PATTERN),
  version: z.string().regex(VERSION_ID_PATTERN),
  manifestKey: z.string().min(1).max(1024),
  manifestSha256: z.string().regex(SHA256_PATTERN),
  /** The version this one was planned against, or `null` for a full upload. */
  base: z.string().regex(VERSION_ID_PATTERN).nullable(),
  commit: z.strictObject({
    sha: z.string().nullable(),
    timestamp: z.iso.datetime({ offset: true }),
  }),
  run: runSchema.nullable(),
  /** When the head was written, ISO 8601. */
  publishedAt: z.iso.datetime({ offset: true }),
});

export type RunInfo = z.infer<typeof runSchema>;
export type Head = z.infer<typeof headSchema>;

/** Parses a head's text, or returns the reason it is unusable. */
export function parseHead(text: string): { head: Head } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reason: "it is not valid JSON" };
  }
  const result = headSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { reason: `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}` };
  }
  return { head: result.data };
}
