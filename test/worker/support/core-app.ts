/**
 * Builds the Worker's app for a test with the real R2 binding and Durable
 * Objects, a Registry of its own (a fresh name per call) and a recording
 * sandbox provider.
 */

import { env } from "cloudflare:workers";
import { silentLogger } from "../../../core/logger.ts";
import { createApp } from "../../../worker/app.ts";
import { R2Bucket } from "../../../worker/bucket/r2.ts";
import type { Bucket } from "../../../worker/bucket/types.ts";
import { loadConfig, type WorkerConfig } from "../../../worker/config.ts";
import { registryStub } from "../../../worker/registry/stub.ts";
import { recordingProvider } from "../../../worker/sandbox/recording.ts";
import { sessionStoreStub } from "../../../worker/sessions/stub.ts";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  config: WorkerConfig;
  bucket: Bucket;
  registry: ReturnType<typeof registryStub>;
}

/** Builds the app; `bucket` replaces the R2 binding, for the S3 adapter's tests. */
export function testApp(
  overrides: Partial<WorkerConfig> = {},
  bucket: Bucket = new R2Bucket(env.SKILLS_BUCKET),
): TestApp {
  const config = { ...loadConfig(env), ...overrides };
  const registry = registryStub(env, `registry-${crypto.randomUUID()}`);
  const app = createApp({
    config,
    bucket,
    registry,
    sessions: sessionStoreStub(env, `sessions-${crypto.randomUUID()}`),
    sandboxes: recordingProvider(),
    now: () => Date.now(),
    logger: silentLogger,
  });
  return { app, config, bucket, registry };
}

/** Sends a request with the admin token, or with `token` when given. */
export function adminRequest(
  app: TestApp["app"],
  path: string,
  init: RequestInit & { token?: string | null } = {},
): Promise<Response> {
  const { token, ...rest } = init;
  const headers = new Headers(rest.headers);
  const value = token === undefined ? env.ADMIN_TOKEN : token;
  if (value !== null && value !== undefined) headers.set("authorization", `Bearer ${value}`);
  return Promise.resolve(app.request(`http://worker.test${path}`, { ...rest, headers }));
}
