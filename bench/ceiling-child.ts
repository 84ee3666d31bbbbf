/**
 * The ceiling: a plain `@aws-sdk/client-s3` PutObject loop over every file of
 * a folder with many requests in flight and nothing else (no hashing, no
 * manifest, no metadata, no checksums). It bounds what any uploader can
 * reach on the same server. Reads `CeilingInput` as JSON from standard input
 * and prints one JSON line.
 */

import { readFile } from "node:fs/promises";
import { Agent } from "node:http";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { listFiles } from "./files.ts";

export interface CeilingInput {
  folder: string;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  concurrency: number;
}

const input = JSON.parse(await text(process.stdin)) as CeilingInput;
const client = new S3Client({
  endpoint: input.endpoint,
  region: input.region,
  forcePathStyle: true,
  credentials: { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey },
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
  requestHandler: {
    httpAgent: new Agent({ keepAlive: true, maxSockets: input.concurrency }),
  },
});

const started = performance.now();
const paths = await listFiles(input.folder);
let next = 0;
let bytes = 0;
async function worker(): Promise<void> {
  for (let index = next++; index < paths.length; index = next++) {
    const path = paths[index];
    if (path === undefined) return;
    const body = await readFile(join(input.folder, path));
    bytes += body.byteLength;
    await client.send(
      new PutObjectCommand({ Bucket: input.bucket, Key: `${input.prefix}${path}`, Body: body }),
    );
  }
}
await Promise.all(Array.from({ length: input.concurrency }, () => worker()));
client.destroy();
process.stdout.write(
  `${JSON.stringify({ files: paths.length, bytes, ms: performance.now() - started })}\n`,
);
