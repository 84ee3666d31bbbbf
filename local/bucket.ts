/**
 * Reads the local bucket over the S3 API: a version's manifest and its
 * objects, for copy mode and for checking that a mount shows the version.
 */

import { createHash } from "node:crypto";
import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Manifest, parseManifest } from "../core/manifest.ts";

/** The bucket's endpoint, name and region, and the key pair that reads it. */
export interface BucketAccess {
  /** `http://127.0.0.1:<port>`, addressed path-style. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function createBucketClient(access: BucketAccess): S3Client {
  return new S3Client({
    endpoint: access.endpoint,
    region: access.region,
    forcePathStyle: true,
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
    // s3rver does not compute the CRC checksums that the SDK requests by default;
    // the manifest's SHA-256 is what copy mode checks.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** Downloads one object's bytes; the error names the bucket and key. */
export async function readObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (response.Body === undefined) throw new Error("the response has no body");
    const bytes = await response.Body.transformToByteArray();
    return new Uint8Array(bytes);
  } catch (error: unknown) {
    throw new Error(
      `Failed to read s3://${bucket}/${key}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Downloads a version's manifest, checks its SHA-256 when given, and parses it. */
export async function readManifest(
  client: S3Client,
  bucket: string,
  key: string,
  expectedSha256?: string,
): Promise<Manifest> {
  const bytes = await readObject(client, bucket, key);
  if (expectedSha256 !== undefined) {
    const digest = createHash("sha256").update(bytes).digest("hex");
    if (digest !== expectedSha256) throw new ManifestDigestError(key, digest, expectedSha256);
  }
  return parseManifest(new TextDecoder().decode(bytes), `s3://${bucket}/${key}`);
}

/** A manifest whose SHA-256 differs from the one the registry recorded. */
export class ManifestDigestError extends Error {
  override readonly name = "ManifestDigestError";

  constructor(key: string, digest: string, expected: string) {
    super(
      `The manifest ${key} has SHA-256 ${digest} but the registry recorded ${expected}; publish the version again`,
    );
  }
}

/** Checks whether an object exists with one HEAD request; the error names the bucket and key. */
export async function objectExists(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error: unknown) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
      return false;
    }
    throw new Error(
      `Failed to look up s3://${bucket}/${key}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
