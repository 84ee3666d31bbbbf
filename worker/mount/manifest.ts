/**
 * Reading a version's manifest for a session: only copy mode needs it, and
 * sessions recorded before the registry kept each version's known file.
 */

import { sha256Hex } from "../../core/encoding.ts";
import { type Manifest, parseManifest } from "../../core/manifest.ts";
import type { Bucket } from "../bucket/types.ts";
import { describe, HttpError } from "../errors.ts";

/** The session and version whose manifest is read, as the registry recorded it. */
export interface ManifestRef {
  sessionId: string;
  version: string;
  manifestKey: string;
  manifestSha256: string;
}

function manifestMissing(ref: ManifestRef): HttpError {
  return new HttpError(
    502,
    "manifest_missing",
    `The manifest ${ref.manifestKey} of version ${ref.version} is missing from the bucket, so session ${ref.sessionId} cannot be set up; publish the version again or pick another`,
  );
}

/** Reads the version's manifest and checks it against the SHA-256 the registry recorded. */
export async function readManifest(bucket: Bucket, ref: ManifestRef): Promise<Manifest> {
  const object = await bucket.get(ref.manifestKey);
  if (object === null) throw manifestMissing(ref);
  const text = await object.text();
  const digest = await sha256Hex(text);
  if (digest !== ref.manifestSha256) {
    throw new HttpError(
      502,
      "manifest_mismatch",
      `The manifest ${ref.manifestKey} has SHA-256 ${digest} but the registry recorded ${ref.manifestSha256} for version ${ref.version}; publish the version again`,
    );
  }
  try {
    return parseManifest(text, ref.manifestKey);
  } catch (error: unknown) {
    throw new HttpError(502, "manifest_invalid", describe(error), { cause: error });
  }
}

/**
 * Checks that the version's manifest exists without reading it, so a
 * deleted version fails before anything is mounted, at the cost of one
 * HEAD request whatever the manifest's size.
 */
export async function assertManifestExists(bucket: Bucket, ref: ManifestRef): Promise<void> {
  if ((await bucket.head(ref.manifestKey)) === null) throw manifestMissing(ref);
}
