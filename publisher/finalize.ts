/**
 * The last writes of a publish: the manifest, which makes the version
 * complete, and then the channel's head, which makes it the channel's base
 * for the next publish.
 */

import { type Head, headSchema, parseHead, type RunInfo } from "../core/head.ts";
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
  /**
   * Replaces a stored head even when it names a newer commit. A working-tree
   * publish sets it: the tree on disk is what the next publish compares
   * with, even when it matches an older commit (an edit undone).
   */
  replaceNewer: boolean;
}

/**
 * Writes the channel's head and returns it with the bytes sent. Two
 * publishes to one channel can overlap, and the older may finish last. So
 * when the stored head already names another version with a newer commit, it
 * is kept and no bytes are sent, because the head is the next publish's base
 * and should stay on the newest commit.
 *
 * NOTE: the read and the write are two requests, so two publishes finishing
 * at the same moment can still leave the older head. That costs the next
 * publish extra uploads but never a wrong snapshot, because plans compare
 * content. The Worker orders versions by commit time on its own.
 */
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
  const newer = input.replaceNewer ? undefined : await findNewerHead(store, key, head);
  if (newer !== undefined) {
    logger.warn(
      `Kept ${key}: it names version ${newer.version}, committed at ${newer.commit.timestamp}, newer than ${head.version} committed at ${head.commit.timestamp}`,
    );
    return { head, bytes: 0 };
  }
  const bytes = new TextEncoder().encode(toStoredJson(head));
  await store.put(key, bytes, { contentType: JSON_CONTENT_TYPE, metadata: {} });
  logger.info(`Wrote ${key}: channel ${input.channel} is at ${head.version}`);
  return { head, bytes: bytes.byteLength };
}

/** Returns the stored head when it names another version with a newer commit. */
async function findNewerHead(store: S3Store, key: string, head: Head): Promise<Head | undefined> {
  const text = await store.getText(key);
  if (text === undefined) return undefined;
  const parsed = parseHead(text);
  if ("reason" in parsed) return undefined;
  const stored = parsed.head;
  if (stored.version === head.version) return undefined;
  const storedTime = Date.parse(stored.commit.timestamp);
  const ownTime = Date.parse(head.commit.timestamp);
  return storedTime > ownTime ? stored : undefined;
}
