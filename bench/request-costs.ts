/**
 * The server's cost per request type: PutObject of a 10 KiB body,
 * HeadObject and CopyObject, each over the same objects with the same
 * requests in flight. An incremental publish sends one CopyObject per
 * unchanged file where `rclone sync` sends one HeadObject, so these figures
 * explain most of the gap between the two on a given server.
 */

import {
  CopyObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DEFAULT_CONCURRENCY } from "../publisher/input-checks.ts";
import type { BenchServer } from "./server.ts";

export interface RequestCosts {
  objects: number;
  concurrency: number;
  /** Milliseconds for all requests of each kind. */
  putMs: number;
  headMs: number;
  copyMs: number;
}

/** As many requests in flight as the publisher keeps by default. */
const CONCURRENCY = DEFAULT_CONCURRENCY;
const BODY = new Uint8Array(10 * 1024).fill(0x61);

async function timeAll(
  objects: number,
  work: (index: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let index = next++; index < objects; index = next++) await work(index);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  return performance.now() - started;
}

/** Sends `objects` requests of each kind; `prefix` is a prefix of this run, ending in `/`. */
export async function measureRequestCosts(
  server: BenchServer,
  prefix: string,
  objects: number,
): Promise<RequestCosts> {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const bucket = server.bucket;
  const source = (index: number): string => `${prefix}source/${index}`;
  try {
    const putMs = await timeAll(objects, (index) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: source(index), Body: BODY })),
    );
    const headMs = await timeAll(objects, (index) =>
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: source(index) })),
    );
    const copyMs = await timeAll(objects, (index) =>
      client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: `${prefix}copy/${index}`,
          CopySource: `${bucket}/${source(index)}`,
          MetadataDirective: "COPY",
        }),
      ),
    );
    return { objects, concurrency: CONCURRENCY, putMs, headMs, copyMs };
  } finally {
    client.destroy();
  }
}
