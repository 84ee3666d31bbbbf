/** Chooses the bucket implementation: the S3 API when `S3_ENDPOINT` is set, else the R2 binding. */

import { requireSecret, type WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { R2Bucket } from "./r2.ts";
import { S3Bucket } from "./s3.ts";
import type { Bucket } from "./types.ts";

export { R2Bucket } from "./r2.ts";
export { S3Bucket } from "./s3.ts";
export type { Bucket, BucketListPage, BucketObject, BucketObjectInfo } from "./types.ts";
export { listAll } from "./types.ts";

export function createBucket(config: WorkerConfig, env: Env): Bucket {
  if (config.s3 !== undefined) {
    return new S3Bucket(config.s3, () => ({
      accessKeyId: requireSecret(config, "S3_ACCESS_KEY_ID"),
      secretAccessKey: requireSecret(config, "S3_SECRET_ACCESS_KEY"),
    }));
  }
  return new R2Bucket(env.SKILLS_BUCKET);
}
