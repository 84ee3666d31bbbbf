/**
 * The Worker's bindings, variables and secrets, as wrangler.toml and
 * `wrangler secret put` provide them. Every variable and secret is optional
 * here: `loadConfig` applies the defaults and checks the values.
 */

import type { Registry } from "./registry/registry.ts";
import type { Sandbox } from "./sandbox/cloudflare.ts";
import type { SessionStore } from "./sessions/store.ts";

export interface Env {
  SKILLS_BUCKET: R2Bucket;
  REGISTRY: DurableObjectNamespace<Registry>;
  SESSIONS: DurableObjectNamespace<SessionStore>;
  SANDBOX: DurableObjectNamespace<Sandbox>;

  SKILLS_PREFIX?: string;
  MOUNT_PATH?: string;
  MOUNT_MODE?: string;
  DEFAULT_CHANNEL?: string;
  AGENT_PORT?: string;
  AGENT_COMMAND?: string;
  MODEL?: string;
  RETAIN_VERSIONS?: string;
  RETAIN_HOURS?: string;
  S3_ENDPOINT?: string;
  S3_BUCKET?: string;
  S3_REGION?: string;
  LOCAL_HOST_URL?: string;

  WEBHOOK_SECRET?: string;
  ADMIN_TOKEN?: string;
  SESSION_TOKEN?: string;
  ANTHROPIC_API_KEY?: string;
  CLAUDE_CODE_OAUTH_TOKEN?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  LOCAL_HOST_TOKEN?: string;
}

type WorkerEnv = Env;

// Types `env` from "cloudflare:workers" and `exports` of the main module.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import("./index.ts");
      durableNamespaces: "Registry";
    }
  }
}
