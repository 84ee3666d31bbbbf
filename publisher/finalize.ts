/**
 * The last writes of a publish: the manifest, which makes the version
 * complete, and then the channel's head, which makes it the channel's base
 * for the next publish.
 */

import { type Head, headSchema, type RunInfo } from "../core/head.ts";
import { toStoredJson } from "../core/json.ts";
import { headKey } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import type { Manifest } from "../core/manifest.ts";
import type { S3Store } from "./store.ts";

const JSON_CONTENT_TYPE = "application/json";

/** Writes the manifest; returns the bytes sent. */
export async function writeManifest(
  store: S3Store,
  key: string,
  serialized: { text: string; sha256: string },
  logger: Logger,
): Promise<number> {
  const bytes = new TextEncoder().encode(serialized.text);
  await store.put(key, bytes, {
    contentType: JSON_CONTENT_TYPE,
    metadata: { sha256: serialized.sha256 },
  });
  logger.info(`Wrote ${key}`, { sha256: serialized.sha256 });
  return bytes.byteLength;
}

export interface HeadInput {
  root: string;
  channel: string;
  /** The manifest as stored: its commit is what the head records. */
  manifest: Manifest;
  manifestKey: string;
  manifestSha256: string;
  base: string | null;
  run: RunInfo | null;
}

/** Writes the channel's head; returns it and the bytes sent. */
export async function writeHead(
  store: S3Store,
  input: HeadInput,
  logger: Logger,
): Promise<{ head: Head; bytes: number }> {
  const head = headSchema.parse({
    schema: 1,
    channel: input.channel,
    version: input.manifest.version,
    manifestKey: input.manifestKey,
    manifestSha256: input.manifestSha256,
    base: input.base,
    commit: { sha: input.manifest.commit.sha, timestamp: input.manifest.commit.timestamp },
    run: input.run,
    publishedAt: new Date().toISOString(),
  });
  const key = headKey(input.root, input.channel);
  const bytes = new TextEncoder().encode(toStoredJson(head));
  await store.put(key, bytes, { contentType: JSON_CONTENT_TYPE, metadata: {} });
  logger.info(`Wrote ${key}: channel ${input.channel} is at ${head.version}`);
  return { head, bytes: bytes.byteLength };
}
