/** The Worker's entry point: builds the app's dependencies from the environment. */

import type { Hono } from "hono";
import { createApp } from "./app.ts";
import { createBucket } from "./bucket/index.ts";
import { loadConfig } from "./config.ts";
import type { Env } from "./env.ts";
import { errorBody, HttpError } from "./errors.ts";
import type { AppEnv } from "./log.ts";
import { jsonLogger } from "./log.ts";
import { registryStub } from "./registry/stub.ts";
import { createSandboxProvider } from "./sandbox/provider.ts";
import { sessionStoreStub } from "./sessions/stub.ts";

export { Registry } from "./registry/registry.ts";
export { ContainerProxy, Sandbox } from "./sandbox/cloudflare.ts";
export { SessionStore } from "./sessions/store.ts";

// Built for every request: Durable Object stubs belong to the request that
// created them, and workerd rejects I/O through a stub from another request
// ("Cannot perform I/O on behalf of a different request").
function appFor(env: Env): Hono<AppEnv> {
  const config = loadConfig(env);
  return createApp({
    config,
    bucket: createBucket(config, env),
    registry: registryStub(env),
    sessions: sessionStoreStub(env),
    sandboxes: createSandboxProvider(config, env),
    now: () => Date.now(),
    logger: jsonLogger({ service: "r2-skills" }),
  });
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    let app: Hono<AppEnv>;
    try {
      app = appFor(env);
    } catch (error) {
      if (error instanceof HttpError) {
        jsonLogger({ service: "r2-skills" }).error("invalid configuration", {
          message: error.message,
        });
        return Response.json(errorBody(error.code, error.message), { status: error.status });
      }
      throw error;
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
