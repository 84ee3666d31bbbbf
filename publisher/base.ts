/**
 * Reads what the bucket already contains for a publish: the channel's head, the
 * manifest it names (the base to plan against) and any manifest of the
 * version being published. Read-only, so dry runs use it too.
 */

import { sha256Hex } from "../core/encoding.ts";
import { type Head, parseHead } from "../core/head.ts";
import { headKey, manifestKey } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import { type Manifest, parseManifest } from "../core/manifest.ts";
import { messageOf, PublishError } from "./errors.ts";
import type { S3Store } from "./store.ts";

export interface StoredManifest {
  manifest: Manifest;
  /** SHA-256 of the stored text, as the head and notification report it. */
  sha256: string;
}

export interface BucketState {
  head: Head | undefined;
  /** The manifest to plan against, or `null` to upload every file. */
  base: Manifest | null;
  /** The manifest of the version being published, when it already exists. */
  existing: StoredManifest | undefined;
}

/** Reads the channel's head, its manifest and the manifest of `version`. */
export async function readBucketState(
  store: S3Store,
  root: string,
  channel: string,
  version: string,
  logger: Logger,
): Promise<BucketState> {
  const [existing, head] = await Promise.all([
    readExisting(store, manifestKey(root, version), logger),
    readHead(store, headKey(root, channel), logger),
  ]);
  if (head === undefined) return { head, base: null, existing };
  if (head.version === version && existing !== undefined) {
    return { head, base: existing.manifest, existing };
  }
  const key = manifestKey(root, head.version);
  const text = await store.getText(key, logger);
  if (text === undefined) {
    logger.warn(
      `The head of channel ${channel} names version ${head.version}, but ${key} does not exist; uploading every file`,
    );
    return { head, base: null, existing };
  }
  try {
    return { head, base: parseManifest(text, key), existing };
  } catch (error: unknown) {
    logger.warn(`${messageOf(error)}; uploading every file`);
    return { head, base: null, existing };
  }
}

async function readHead(store: S3Store, key: string, logger: Logger): Promise<Head | undefined> {
  const text = await store.getText(key, logger);
  if (text === undefined) {
    logger.warn(`No head at ${key} (first publish to this channel); uploading every file`);
    return undefined;
  }
  const parsed = parseHead(text);
  if ("reason" in parsed) {
    logger.warn(`The head at ${key} is unusable (${parsed.reason}); uploading every file`);
    return undefined;
  }
  return parsed.head;
}

async function readExisting(
  store: S3Store,
  key: string,
  logger: Logger,
): Promise<StoredManifest | undefined> {
  const text = await store.getText(key, logger);
  if (text === undefined) return undefined;
  try {
    return { manifest: parseManifest(text, key), sha256: await sha256Hex(text) };
  } catch (error: unknown) {
    throw new PublishError(
      "version-conflict",
      `${messageOf(error)}. Manifests are never rewritten, so this version cannot be published again; delete ${key} only if no Worker serves this version, then re-run`,
      { cause: error },
    );
  }
}
