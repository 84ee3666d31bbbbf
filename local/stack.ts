/**
 * The local stack: the bucket (s3rver), the sandbox host and the Worker in
 * workerd, wired together on 127.0.0.1 with the secrets of `local.json`.
 * `npm start`, the end-to-end tests and the benchmarks all start it here.
 */

import { mkdir, readdir } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../core/logger.ts";
import type { PublishResult } from "../publisher/types.ts";
import { type BucketAccess, createBucketClient } from "./bucket.ts";
import {
  type LocalFile,
  loadOrCreateSecrets,
  type MountChoice,
  type StartOptions,
  writeLocalFile,
} from "./config.ts";
import { removeTree } from "./copy.ts";
import { acquireStateLock } from "./lock.ts";
import {
  detectS3fs,
  listMountPoints,
  type MountMode,
  unmount,
  writePasswordFile,
} from "./mount.ts";
import { assertPortFree } from "./ports.ts";
import {
  localPublishSettings,
  makeCurrent,
  type OpenedSession,
  openSessionThrough,
  publishOrThrow,
  RESTORE_REASON,
} from "./round.ts";
import { type LocalS3, startLocalS3 } from "./s3-server.ts";
import { type SandboxHost, startSandboxHost } from "./sandbox-host.ts";
import { type LocalWorker, startLocalWorker } from "./worker.ts";

/** The folder of the r2-skills project, which contains wrangler.toml and the Worker. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The options of `npm start` that shape the stack, plus its logger. */
export interface StackOptions
  extends Pick<
    StartOptions,
    | "repositoryRoot"
    | "skillsPath"
    | "stateDir"
    | "channel"
    | "s3Port"
    | "workerPort"
    | "hostPort"
    | "mount"
    | "verbose"
  > {
  logger: Logger;
  /** The Worker's wrangler configuration; `<project>/wrangler.toml` by default. */
  wranglerConfig?: string;
  /** Aborting it stops a start in progress; `startStack` then throws `StartAbortedError`. */
  signal?: AbortSignal;
}

/** The start was aborted through `StackOptions.signal`; what had started is stopped. */
export class StartAbortedError extends Error {
  override readonly name = "StartAbortedError";

  constructor(step: string) {
    super(`The start was stopped during: ${step}`);
  }
}

/** Time a Worker start may still take after an abort before it is left alone, in milliseconds. */
const LATE_WORKER_WAIT_MS = 10_000;

/**
 * Waits for `start`, or throws `StartAbortedError` as soon as `signal` is
 * aborted. A start that still finishes within `LATE_WORKER_WAIT_MS` is
 * disposed of with `dispose`. Ctrl-C also reaches workerd, whose start may
 * then never finish, so the stack does not wait for it.
 */
async function unlessAborted<T>(
  start: Promise<T>,
  signal: AbortSignal | undefined,
  name: string,
  dispose: (value: T) => Promise<void>,
  logger: Logger,
): Promise<T> {
  if (signal === undefined) return await start;
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new StartAbortedError(name));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([start, aborted]);
  } catch (error: unknown) {
    if (error instanceof StartAbortedError) {
      const timeout = new Promise<undefined>((resolve) => {
        setTimeout(() => resolve(undefined), LATE_WORKER_WAIT_MS).unref();
      });
      const late = await Promise.race([start.catch(() => undefined), timeout]);
      if (late !== undefined) {
        await dispose(late).catch((disposeError: unknown) => {
          logger.error(`Stopping the late ${name} failed`, { error: String(disposeError) });
        });
      }
    }
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** A step of starting or using the stack failed; the message names the step. */
export class StepError extends Error {
  override readonly name = "StepError";
  readonly step: string;

  constructor(step: string, cause: unknown) {
    super(`${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.step = step;
  }
}

export interface Stack {
  /** The contents of `local.json`: URLs and secrets. */
  local: LocalFile;
  mode: MountMode;
  s3: LocalS3;
  host: SandboxHost;
  worker: LocalWorker;
  /** Publishes the skills folder to the channel and notifies the Worker. */
  publish(): Promise<PublishResult>;
  /** Opens a new session through the Worker and returns where its version is mounted. */
  openSession(): Promise<OpenedSession>;
  /** Stops the Worker, unmounts every session and stops the bucket. */
  stop(): Promise<void>;
}

/** Runs `work` as a named step: logs its start and wraps its failure in a `StepError`. */
export async function step<T>(logger: Logger, name: string, work: () => Promise<T>): Promise<T> {
  logger.info(`${name}…`);
  try {
    return await work();
  } catch (error: unknown) {
    if (error instanceof StepError || error instanceof StartAbortedError) throw error;
    throw new StepError(name, error);
  }
}

async function chooseMode(choice: MountChoice, logger: Logger): Promise<MountMode> {
  if (choice === "copy") return "copy";
  const support = await detectS3fs();
  if (support.available) return "s3fs";
  if (choice === "s3fs") {
    throw new Error(`--mount s3fs was requested but ${support.reason}; or pass --mount copy`);
  }
  logger.warn(
    `s3fs not available: ${support.reason}. Sessions get a checked copy of each version instead (copy mode)`,
  );
  return "copy";
}

/** Unmounts and removes sessions left behind by a stack that did not stop cleanly. */
async function clearStaleSessions(root: string, logger: Logger): Promise<void> {
  const prefix = `${resolve(root)}${sep}`;
  const stale = (await listMountPoints()).filter((point) => point.startsWith(prefix));
  for (const point of stale.sort().reverse()) {
    logger.warn(`Unmounting ${point}, left from an earlier run`);
    await unmount(point);
  }
  let entries: string[] = [];
  try {
    entries = await readdir(root);
  } catch {
    return;
  }
  if (entries.length > 0)
    logger.info(`Removing ${entries.length} session folder(s) from an earlier run`);
  await removeTree(root);
}

/** Starts the bucket, the sandbox host and the Worker, in that order. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger, stateDir } = options;
  const stopping: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const failures: string[] = [];
    for (const stop of stopping.reverse()) {
      try {
        await stop();
      } catch (error: unknown) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    stopping.length = 0;
    if (failures.length > 0)
      throw new Error(`Stopping the local stack failed: ${failures.join("; ")}`);
  };

  try {
    const lock = await step(logger, "Locking the state folder", async () => {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      return await acquireStateLock(stateDir);
    });
    stopping.push(() => lock.release());
    const secrets = await step(logger, "Reading the local secrets", () =>
      loadOrCreateSecrets(stateDir),
    );
    const mode = await step(logger, "Choosing the mount mode", () =>
      chooseMode(options.mount, logger),
    );
    await step(logger, "Checking the ports", async () => {
      await assertPortFree(options.s3Port, "--s3-port");
      await assertPortFree(options.workerPort, "--worker-port");
      await assertPortFree(options.hostPort, "--host-port");
    });

    const s3 = await step(logger, "Starting the bucket (s3rver)", () =>
      startLocalS3({
        directory: join(stateDir, "bucket"),
        bucket: secrets.s3.bucket,
        port: options.s3Port,
      }),
    );
    stopping.push(() => s3.close());
    logger.info(`Bucket ${secrets.s3.bucket} at ${s3.endpoint}`, {
      data: join(stateDir, "bucket"),
    });
    const access: BucketAccess = { ...secrets.s3, endpoint: s3.endpoint };

    const sessionsRoot = join(stateDir, "sessions");
    await step(logger, "Clearing sessions of an earlier run", () =>
      clearStaleSessions(sessionsRoot, logger),
    );
    const passwordFile = join(stateDir, "host", "s3fs.passwd");
    if (mode === "s3fs") await writePasswordFile(passwordFile, access);

    const host = await step(logger, "Starting the sandbox host", () =>
      startSandboxHost({
        root: sessionsRoot,
        access,
        client: createBucketClient(access),
        rootPrefix: secrets.s3.prefix,
        mode,
        passwordFile: mode === "s3fs" ? passwordFile : undefined,
        logger,
        token: secrets.hostToken,
        port: options.hostPort,
      }),
    );
    stopping.push(() => host.close());

    if (options.signal?.aborted) throw new StartAbortedError("the steps before the Worker's start");
    const worker = await step(logger, "Starting the Worker in workerd", () =>
      unlessAborted(
        startLocalWorker({
          configPath: options.wranglerConfig ?? join(PROJECT_ROOT, "wrangler.toml"),
          persistDir: join(stateDir, "worker"),
          port: options.workerPort,
          s3: { ...access, prefix: secrets.s3.prefix },
          hostUrl: host.url,
          hostToken: secrets.hostToken,
          webhookSecret: secrets.webhookSecret,
          adminToken: secrets.adminToken,
          sessionToken: secrets.sessionToken,
          verbose: options.verbose,
          logger,
        }),
        options.signal,
        "the Worker's start",
        (late) => late.close(),
        logger,
      ),
    );
    stopping.push(() => worker.close());
    logger.info(`Worker at ${worker.url}`);

    const local: LocalFile = {
      ...secrets,
      workerUrl: worker.url,
      hostUrl: host.url,
      s3: { ...secrets.s3, endpoint: s3.endpoint },
    };
    await step(logger, "Writing local.json", () => writeLocalFile(stateDir, local));

    const settings = localPublishSettings({
      repositoryRoot: options.repositoryRoot,
      skillsPath: options.skillsPath,
      channel: options.channel,
      local,
    });

    return {
      local,
      mode,
      s3,
      host,
      worker,
      publish: () =>
        step(logger, `Publishing ${options.skillsPath} to channel ${options.channel}`, async () => {
          const result = await publishOrThrow(settings, logger);
          if (result.decision?.current !== false) return result;
          try {
            await makeCurrent(worker.url, local.adminToken, options.channel, result.version);
          } catch (error: unknown) {
            throw new Error(
              `Version ${result.version} is published, but the Worker kept channel ${options.channel} on another version (${result.decision.reason}) and making it current failed: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
          }
          logger.info(
            `The local stack serves the skills folder as it is, so it made version ${result.version} current on channel ${options.channel} with a rollback`,
          );
          return { ...result, decision: { current: true, reason: RESTORE_REASON } };
        }),
      openSession: () =>
        step(logger, "Opening a session", () =>
          openSessionThrough(worker.url, local.sessionToken, options.channel, host),
        ),
      stop: stopAll,
    };
  } catch (error: unknown) {
    await stopAll().catch((stopError: unknown) => {
      logger.error("Stopping after a failed start also failed", {
        error: stopError instanceof Error ? stopError.message : String(stopError),
      });
    });
    throw error;
  }
}

export type { OpenedSession } from "./round.ts";
