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
import type { Registry } from "./registry/registry.ts";

export interface AppDeps {
  config: WorkerConfig;
  bucket: Bucket;
  registry: DurableObjectStub<Registry>;
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

  // TODO: app.route("/", sessionRoutes(deps)) once worker/sessions/routes.ts exists.
  return app;
}
