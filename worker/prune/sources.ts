/** What pruning reads outside the Registry: the channel heads and the sessions' versions. */

import { parseHead } from "../../core/head.ts";
import type { Bucket } from "../bucket/types.ts";
import { listAll } from "../bucket/types.ts";
import type { Env } from "../env.ts";
import { sessionStoreStub } from "../sessions/stub.ts";

/** The part of the SessionStore's RPC interface that pruning calls. */
export interface SessionVersions {
  /** Versions of sessions live or seen since `sinceMs` (Unix milliseconds). */
  versionsInUse(sinceMs: number): Promise<string[]>;
}

/**
 * Returns the versions named by every `heads/<channel>.json`. Throws when a
 * head cannot be read or parsed, because pruning without knowing a head's
 * version could delete the base of the next publish.
 */
export async function headVersions(bucket: Bucket, rootPrefix: string): Promise<Set<string>> {
  const versions = new Set<string>();
  for (const key of await listAll(bucket, `${rootPrefix}heads/`)) {
    if (!key.endsWith(".json")) continue;
    const object = await bucket.get(key);
    if (object === null) continue;
    const parsed = parseHead(await object.text());
    if ("reason" in parsed) {
      throw new Error(
        `Invalid channel head ${JSON.stringify(key)}: ${parsed.reason}; fix or delete it`,
      );
    }
    versions.add(parsed.head.version);
  }
  return versions;
}

/** The SessionStore that tracks every session, as pruning's source of versions in use. */
export function sessionVersions(env: Env): SessionVersions {
  return sessionStoreStub(env);
}
