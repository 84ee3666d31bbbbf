/** Chooses the sandbox provider: the local sandbox host for `MOUNT_MODE=local`, else Cloudflare's. */

import type { WorkerConfig } from "../config.ts";
import { requireSecret } from "../config.ts";
import type { Env } from "../env.ts";
import { cloudflareSandboxProvider } from "./cloudflare.ts";
import { localHostProvider } from "./local-host.ts";
import type { SandboxProvider } from "./types.ts";

export function createSandboxProvider(config: WorkerConfig, env: Env): SandboxProvider {
  if (config.mountMode === "local") {
    if (config.localHostUrl === undefined) {
      throw new Error('MOUNT_MODE "local" needs LOCAL_HOST_URL; set it in wrangler.toml [vars]');
    }
    return localHostProvider({
      url: config.localHostUrl,
      token: () => requireSecret(config, "LOCAL_HOST_TOKEN"),
    });
  }
  return cloudflareSandboxProvider(env.SANDBOX);
}
