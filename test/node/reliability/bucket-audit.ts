/**
 * Reads a bucket back through a clean S3 client (straight to the server, no
 * fault proxy) and checks the publish invariants: every manifest parses,
 * every file it lists exists with the listed size and SHA-256, and every
 * head names a version whose manifest exists with the head's digest.
 */

import { createHash } from "node:crypto";
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { parseHead } from "../../../core/head.ts";
import { manifestKey, objectKey } from "../../../core/keys.ts";
import { type Manifest, parseManifest } from "../../../core/manifest.ts";
import type { S3Server } from "../support/s3-server.ts";

export interface BucketAudit {
  /** Versions whose manifest exists and whose every file checked out. */
  complete: string[];
  /** One line per broken invariant; empty when the bucket is sound. */
  problems: string[];
  /** Channel name to the version its head names. */
  heads: Map<string, string>;
  manifests: Map<string, Manifest>;
  /** Objects read and hashed. */
  objectsChecked: number;
}

export function cleanClient(s3: S3Server): S3Client {
  return new S3Client({
    region: "auto",
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    maxAttempts: 3,
  });
}

export async function listKeys(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const entry of page.Contents ?? []) if (entry.Key !== undefined) keys.push(entry.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Returns the object's bytes, or `undefined` when it does not exist. */
export async function readObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<Uint8Array | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await response.Body?.transformToByteArray();
  } catch (error: unknown) {
    if (error instanceof NoSuchKey) return undefined;
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
      return undefined;
    }
    throw error;
  }
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

export async function auditBucket(s3: S3Server, root = ""): Promise<BucketAudit> {
  const client = cleanClient(s3);
  const audit: BucketAudit = {
    complete: [],
    problems: [],
    heads: new Map(),
    manifests: new Map(),
    objectsChecked: 0,
  };
  const digests = new Map<string, string>();
  try {
    for (const key of await listKeys(client, s3.bucket, `${root}manifests/`)) {
      const bytes = await readObject(client, s3.bucket, key);
      if (bytes === undefined) continue;
      let manifest: Manifest;
      try {
        manifest = parseManifest(new TextDecoder().decode(bytes), key);
      } catch (error: unknown) {
        audit.problems.push(`${key}: ${(error as Error).message}`);
        continue;
      }
      if (manifestKey(root, manifest.version) !== key) {
        audit.problems.push(`${key}: names version ${manifest.version}`);
        continue;
      }
      digests.set(manifest.version, sha256(bytes));
      audit.manifests.set(manifest.version, manifest);
      let sound = true;
      for (const file of manifest.files) {
        const objectBytes = await readObject(
          client,
          s3.bucket,
          objectKey(root, manifest.version, file.path),
        );
        audit.objectsChecked += 1;
        if (objectBytes === undefined) {
          audit.problems.push(`${manifest.version}: ${file.path} is missing`);
          sound = false;
        } else if (objectBytes.byteLength !== file.size || sha256(objectBytes) !== file.sha256) {
          audit.problems.push(`${manifest.version}: ${file.path} differs from the manifest`);
          sound = false;
        }
      }
      if (sound) audit.complete.push(manifest.version);
    }
    for (const key of await listKeys(client, s3.bucket, `${root}heads/`)) {
      const bytes = await readObject(client, s3.bucket, key);
      if (bytes === undefined) continue;
      const parsed = parseHead(new TextDecoder().decode(bytes));
      if ("reason" in parsed) {
        audit.problems.push(`${key}: ${parsed.reason}`);
        continue;
      }
      const { head } = parsed;
      audit.heads.set(head.channel, head.version);
      const digest = digests.get(head.version);
      if (digest === undefined) {
        audit.problems.push(`${key}: names ${head.version}, which has no manifest`);
      } else if (digest !== head.manifestSha256) {
        audit.problems.push(`${key}: manifestSha256 differs from the manifest's digest`);
      }
    }
  } finally {
    client.destroy();
  }
  return audit;
}
