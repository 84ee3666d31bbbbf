/**
 * The Worker's HTTP app. `createApp` takes every dependency, so tests build
 * it with real bindings and a recording sandbox provider.
 */

import { Hono } from "hono";
import type { Logger } from "../core/logger.ts";
import type { Bucket } from "./bucket/types.ts";
import type { WorkerConfig } from "./config.ts";
import { onError, onNotFound } from "./errors.ts";
import { type AppEnv, requestLog } from "./log.ts";
import { managementRoutes } from "./management/routes.ts";
import type { Registry } from "./registry/registry.ts";
import type { SandboxProvider } from "./sandbox/types.ts";
import { sessionRoutes } from "./sessions/routes.ts";
import type { SessionStore } from "./sessions/store.ts";
import { webhookRoutes } from "./webhooks/routes.ts";

export interface AppDeps {
  config: WorkerConfig;
  bucket: Bucket;
  registry: DurableObjectStub<Registry>;
  sessions: DurableObjectStub<SessionStore>;
  sandboxes: SandboxProvider;
  /** Unix milliseconds. */
  now(): number;
  logger: Logger;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestLog(deps.logger, deps.now));
  app.onError(onError);
  app.notFound(onNotFound);

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route("/", webhookRoutes(deps));
  app.route("/", managementRoutes(deps));
  app.route("/", sessionRoutes(deps));
  return app;
}
