/**
 * Writes versions straight into a local bucket with the S3 SDK, the way the
 * publisher lays them out (objects with `x-amz-meta-mode`, then the
 * manifest), so the sandbox host can be tested without the publisher.
 */

import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { sha256Hex, utf8 } from "../../../core/encoding.ts";
import { manifestKey, versionPrefix } from "../../../core/keys.ts";
import {
  buildManifest,
  type Manifest,
  type ManifestFile,
  MODE_EXECUTABLE,
  MODE_REGULAR,
  serializeManifest,
} from "../../../core/manifest.ts";

export interface FixtureFile {
  path: string;
  content: string;
  executable?: boolean;
}

export interface UploadedVersion {
  version: string;
  prefix: string;
  manifestKey: string;
  manifestSha256: string;
  manifest: Manifest;
}

/** Uploads the files and a manifest for `version`; skills are the first path segments. */
export async function uploadVersion(
  client: S3Client,
  bucket: string,
  root: string,
  version: string,
  files: FixtureFile[],
): Promise<UploadedVersion> {
  const prefix = versionPrefix(root, version);
  const entries: ManifestFile[] = [];
  for (const file of files) {
    const bytes = utf8(file.content);
    const mode = file.executable ? MODE_EXECUTABLE : MODE_REGULAR;
    const sha256 = await sha256Hex(bytes);
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}${file.path}`,
        Body: bytes,
        Metadata: { mode: String(mode), sha256, mtime: "1767323045" },
      }),
    );
    entries.push({
      path: file.path,
      size: bytes.byteLength,
      sha256,
      mode,
      contentType: "text/plain",
    });
  }
  const skills = [...new Set(files.map((file) => file.path.split("/")[0] ?? ""))].map((name) => ({
    name,
    description: `The ${name} skill.`,
  }));
  const manifest = buildManifest({
    version,
    repository: null,
    commit: {
      sha: version.startsWith("local-") ? null : version,
      message: "Test version",
      author: { name: "Ada Lovelace", email: "ada@example.com" },
      timestamp: "2026-01-02T03:04:05Z",
      dirty: false,
    },
    skills,
    files: entries,
  });
  const key = manifestKey(root, version);
  const { text, sha256 } = await serializeManifest(manifest);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
  return { version, prefix, manifestKey: key, manifestSha256: sha256, manifest };
}
