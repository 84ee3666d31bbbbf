/**
 * The mount modes that hand the whole job to the sandbox: the R2 binding
 * (production), any S3-compatible store, and the local R2 sync of
 * `wrangler dev`. Each turns a target into one `MountRequest`.
 */

import { versionPrefix } from "../../core/keys.ts";
import type { WorkerConfig } from "../config.ts";
import { requireSecret } from "../config.ts";
import type { MountRequest } from "../sandbox/types.ts";
import type { MountTarget, VersionMounter } from "./types.ts";

/** The R2 binding the Sandbox Durable Object mounts; wrangler.toml binds the bucket under it. */
export const BUCKET_BINDING = "SKILLS_BUCKET";

/** Returns the version's key prefix in the SDK's form, with a leading and a trailing `/`. */
export function mountPrefix(target: MountTarget): string {
  return `/${versionPrefix(target.rootPrefix, target.version)}`;
}

function bucketMounter(
  mode: "r2-binding" | "s3" | "local-sync",
  request: (target: MountTarget) => MountRequest,
): VersionMounter {
  return {
    mode,
    mount: async (handle, target) => handle.mount(request(target)),
    unmount: (handle, target) => handle.unmount(target.mountPath),
  };
}

export function r2BindingMounter(): VersionMounter {
  return bucketMounter("r2-binding", (target) => ({
    kind: "r2-binding",
    binding: BUCKET_BINDING,
    mountPath: target.mountPath,
    prefix: mountPrefix(target),
    readOnly: true,
  }));
}

export function localSyncMounter(): VersionMounter {
  return bucketMounter("local-sync", (target) => ({
    kind: "local-sync",
    binding: BUCKET_BINDING,
    mountPath: target.mountPath,
    prefix: mountPrefix(target),
    readOnly: true,
  }));
}

/** Mounts through the S3 API at S3_ENDPOINT with S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY. */
export function s3Mounter(config: WorkerConfig): VersionMounter {
  return bucketMounter("s3", (target) => {
    if (config.s3 === undefined) {
      throw new Error(
        'MOUNT_MODE "s3" needs S3_ENDPOINT and S3_BUCKET; set them in wrangler.toml [vars]',
      );
    }
    return {
      kind: "s3",
      endpoint: config.s3.endpoint,
      bucket: config.s3.bucket,
      mountPath: target.mountPath,
      prefix: mountPrefix(target),
      credentials: {
        accessKeyId: requireSecret(config, "S3_ACCESS_KEY_ID"),
        secretAccessKey: requireSecret(config, "S3_SECRET_ACCESS_KEY"),
      },
      readOnly: true,
    };
  });
}

/** Asks the local sandbox host (MOUNT_MODE "local") to mount or copy the version itself. */
export function localHostMounter(): VersionMounter {
  return {
    mode: "local",
    mount: (handle, target) =>
      handle.mount({
        kind: "host",
        version: target.version,
        mountPath: target.mountPath,
        prefix: versionPrefix(target.rootPrefix, target.version),
        manifestKey: target.manifestKey,
        manifestSha256: target.manifestSha256,
        ...(target.knownFile === undefined ? {} : { knownFile: target.knownFile }),
        readOnly: true,
      }),
    unmount: (handle, target) => handle.unmount(target.mountPath),
  };
}
