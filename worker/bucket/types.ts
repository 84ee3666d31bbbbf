/**
 * The bucket as the Worker reads it: the R2 binding or any S3-compatible
 * API. Keys are full keys, root prefix included.
 */

/** An object's size and user metadata (`x-amz-meta-*` or R2 custom metadata). */
export interface BucketObjectInfo {
  size: number;
  metadata: Record<string, string>;
}

/** An object with its body; read the body once, by one of the three accessors. */
export interface BucketObject extends BucketObjectInfo {
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  body: ReadableStream;
}

export interface BucketListPage {
  keys: string[];
  /** Set when more keys follow; pass it to the next `list` call. */
  cursor?: string;
}

export interface Bucket {
  /** Returns the object, or `null` when no object has that key. */
  get(key: string): Promise<BucketObject | null>;
  /** Returns the object's size and metadata, or `null` when no object has that key. */
  head(key: string): Promise<BucketObjectInfo | null>;
  /** Lists one page of keys under `prefix`, in key order. */
  list(prefix: string, cursor?: string): Promise<BucketListPage>;
  /** Deletes the keys; keys that do not exist are ignored. */
  delete(keys: string[]): Promise<void>;
}

/** Lists every key under `prefix`, following cursors. */
export async function listAll(bucket: Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list(prefix, cursor);
    keys.push(...page.keys);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}
