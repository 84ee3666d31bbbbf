/** The bucket through the Worker's R2 binding. */

import type { Bucket, BucketListPage, BucketObject, BucketObjectInfo } from "./types.ts";

/** R2 deletes at most this many keys per call. */
const R2_DELETE_BATCH = 1000;

export class R2Bucket implements Bucket {
  readonly #binding: globalThis.R2Bucket;

  constructor(binding: globalThis.R2Bucket) {
    this.#binding = binding;
  }

  async get(key: string): Promise<BucketObject | null> {
    const object = await this.#binding.get(key);
    if (object === null) return null;
    return {
      size: object.size,
      metadata: { ...object.customMetadata },
      text: () => object.text(),
      arrayBuffer: () => object.arrayBuffer(),
      body: object.body,
    };
  }

  async head(key: string): Promise<BucketObjectInfo | null> {
    const object = await this.#binding.head(key);
    if (object === null) return null;
    return { size: object.size, metadata: { ...object.customMetadata } };
  }

  async list(prefix: string, cursor?: string): Promise<BucketListPage> {
    const result = await this.#binding.list(cursor === undefined ? { prefix } : { prefix, cursor });
    const keys = result.objects.map((object) => object.key);
    return result.truncated ? { keys, cursor: result.cursor } : { keys };
  }

  async delete(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += R2_DELETE_BATCH) {
      await this.#binding.delete(keys.slice(start, start + R2_DELETE_BATCH));
    }
  }
}
