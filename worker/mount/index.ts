/** Chooses the mount mode from `MOUNT_MODE`. */

import type { Bucket } from "../bucket/types.ts";
import type { WorkerConfig } from "../config.ts";
import {
  localHostMounter,
  localSyncMounter,
  r2BindingMounter,
  s3Mounter,
} from "./bucket-mounts.ts";
import { copyMounter } from "./copy.ts";
import type { VersionMounter } from "./types.ts";

export type { MountTarget, VersionMounter } from "./types.ts";
export { MountError } from "./types.ts";
export { knownFileOf, knownFilePath, verifyMount } from "./verify.ts";

export function createMounter(config: WorkerConfig, bucket: Bucket): VersionMounter {
  switch (config.mountMode) {
    case "r2-binding":
      return r2BindingMounter();
    case "s3":
      return s3Mounter(config);
    case "local-sync":
      return localSyncMounter();
    case "copy":
      return copyMounter(bucket);
    case "local":
      return localHostMounter();
  }
}
