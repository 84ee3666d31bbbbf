/**
 * A plain S3 client over a test bucket, to check what a run wrote without
 * going through the publisher's own store.
 */

import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { S3Server } from "./s3-server.ts";

export interface BucketReader {
  /** Every key in the bucket, sorted. */
  keys(): Promise<string[]>;
  text(key: string): Promise<string>;
  metadata(key: string): Promise<Record<string, string>>;
  close(): void;
}

export function readBucket(server: S3Server): BucketReader {
  const client = new S3Client({
    region: "auto",
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const get = (key: string) =>
    client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
  return {
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: server.bucket, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    async text(key) {
      const response = await get(key);
      return (await response.Body?.transformToString("utf8")) ?? "";
    },
    async metadata(key) {
      return (await get(key)).Metadata ?? {};
    },
    close: () => client.destroy(),
  };
}
