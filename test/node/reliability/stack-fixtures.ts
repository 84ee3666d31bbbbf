/**
 * The local stack (s3rver, the sandbox host and the Worker in workerd) as
 * the notify, concurrency and load scenarios use it: publish settings that
 * reach its bucket and Worker, and management API reads.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../../core/logger.ts";
import type { MountChoice } from "../../../local/config.ts";
import { type Stack, startStack } from "../../../local/stack.ts";
import type { PublishSettings } from "../../../publisher/types.ts";
import type { S3Server } from "../support/s3-server.ts";
import { publishSettings } from "./fixtures.ts";

/** A logger that keeps every line, so tests can count what the stack did. */
export interface RecordingLogger extends Logger {
  lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger["lines"] = [];
  const log =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    group: (_name, work) => work(),
  };
}

export interface ReliabilityStack {
  stack: Stack;
  logger: RecordingLogger;
  /** The stack's bucket in the shape the bucket audit reads. */
  s3: S3Server;
  root: string;
  close(): Promise<void>;
}

export async function startReliabilityStack(
  repositoryRoot: string,
  mount: MountChoice = "copy",
): Promise<ReliabilityStack> {
  const state = await mkdtemp(join(tmpdir(), "r2-skills-reliability-"));
  const logger = recordingLogger();
  const stack = await startStack({
    repositoryRoot,
    skillsPath: "skills",
    stateDir: state,
    channel: "production",
    s3Port: 0,
    workerPort: 0,
    hostPort: 0,
    mount,
    verbose: false,
    logger,
  });
  const bucket = stack.local.s3;
  return {
    stack,
    logger,
    s3: {
      endpoint: bucket.endpoint,
      bucket: bucket.bucket,
      accessKeyId: bucket.accessKeyId,
      secretAccessKey: bucket.secretAccessKey,
      directory: join(state, "bucket"),
      close: async () => undefined,
    },
    root: bucket.prefix,
    async close() {
      await stack.stop();
      await rm(state, { recursive: true, force: true });
    },
  };
}

/** Publish settings for the stack's bucket, notifying `notifyUrl` (the Worker's webhook by default). */
export function stackPublishSettings(
  target: ReliabilityStack,
  repositoryRoot: string,
  channel: string,
  notify: Partial<NonNullable<PublishSettings["notify"]>> = {},
): PublishSettings {
  return publishSettings({
    repositoryRoot,
    s3: target.s3,
    prefix: target.root,
    channel,
    notify: {
      url: `${target.stack.worker.url}/webhooks/publish`,
      secret: target.stack.local.webhookSecret,
      attempts: 3,
      timeoutMs: 10_000,
      ...notify,
    },
  });
}

/** Reads a management route with the admin token; `undefined` on 404. */
export async function adminGet<T>(target: ReliabilityStack, path: string): Promise<T | undefined> {
  const response = await fetch(`${target.stack.worker.url}${path}`, {
    headers: { authorization: `Bearer ${target.stack.local.adminToken}` },
  });
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export interface ChannelView {
  version: string;
  history: { version: string; previous: string | null; cause: string }[];
}
