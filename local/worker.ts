/**
 * Runs the Worker in workerd through wrangler's programmatic API, with
 * containers off and the `local` mount mode, so sessions mount through the
 * local sandbox host. Durable Object state persists under the state folder.
 */

import { createRequire } from "node:module";
import { join } from "node:path";
import type { Logger } from "../core/logger.ts";
import { pollUntil } from "./mount.ts";

type Wrangler = typeof import("wrangler");

export interface LocalWorkerOptions {
  /** Absolute path of the project's wrangler.toml. */
  configPath: string;
  /** Folder for Durable Object and other local state. */
  persistDir: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  s3: {
    endpoint: string;
    bucket: string;
    region: string;
    prefix: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  hostUrl: string;
  hostToken: string;
  webhookSecret: string;
  adminToken: string;
  sessionToken: string;
  /** Shows wrangler's and the Worker's log lines. */
  verbose: boolean;
  logger: Logger;
}

/** How long the Worker may take to serve its first request, in milliseconds. */
const READY_TIMEOUT_MS = 60_000;

/**
 * Returns the newest compatibility date that the workerd binary of the
 * installed wrangler supports, from the `workerd` package wrangler depends on.
 */
function supportedCompatibilityDate(): string | undefined {
  try {
    const fromHere = createRequire(import.meta.url);
    const fromWrangler = createRequire(fromHere.resolve("wrangler"));
    const workerd: unknown = fromWrangler(fromWrangler.resolve("workerd"));
    const date =
      typeof workerd === "object" && workerd !== null
        ? Reflect.get(workerd, "compatibilityDate")
        : undefined;
    return typeof date === "string" ? date : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Picks the compatibility date to run with: the configured one, or the
 * newest the local workerd supports when the configured one is newer, which
 * workerd would otherwise reject at start.
 */
function localCompatibilityDate(
  wrangler: Wrangler,
  configPath: string,
  logger: Logger,
): string | undefined {
  const configured = wrangler.unstable_readConfig({ config: configPath }).compatibility_date;
  const supported = supportedCompatibilityDate();
  if (configured === undefined || supported === undefined || configured <= supported)
    return undefined;
  logger.warn(
    `${configPath} sets compatibility_date ${configured}, newer than the ${supported} that the installed workerd supports; running the local Worker with ${supported}`,
  );
  return supported;
}

export interface LocalWorker {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

const EXIT_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function isExitSignal(event: string | symbol): event is (typeof EXIT_SIGNALS)[number] {
  return (EXIT_SIGNALS as readonly (string | symbol)[]).includes(event);
}

/**
 * Runs `start` without the signal listeners it adds. wrangler 4 (when its
 * module loads) and Miniflare add SIGINT and SIGTERM listeners that call
 * `process.exit()` at once, which would end the local stack before it
 * unmounts its sessions. Each such listener is removed right after it is
 * added, so a Ctrl-C while workerd starts reaches only the stack's own
 * handler, and the stack disposes of the Worker itself.
 */
async function withoutExitListeners<T>(start: () => Promise<T>): Promise<T> {
  const before = new Map(
    EXIT_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]),
  );
  // "newListener" fires before the listener is added, so it is removed a microtask later.
  const onNewListener = (event: string | symbol, listener: (...args: unknown[]) => void) => {
    if (isExitSignal(event)) queueMicrotask(() => process.off(event, listener));
  };
  process.on("newListener", onNewListener);
  try {
    return await start();
  } finally {
    process.off("newListener", onNewListener);
    for (const signal of EXIT_SIGNALS) {
      const kept = before.get(signal);
      for (const listener of process.listeners(signal)) {
        if (!kept?.has(listener)) process.off(signal, listener);
      }
    }
  }
}

/** The variables and secrets of the local Worker, as wrangler bindings. */
function workerBindings(options: LocalWorkerOptions) {
  const plain = (value: string) => ({ type: "plain_text" as const, value });
  const secret = (value: string) => ({ type: "secret_text" as const, value });
  return {
    MOUNT_MODE: plain("local"),
    SKILLS_PREFIX: plain(options.s3.prefix),
    S3_ENDPOINT: plain(options.s3.endpoint),
    S3_BUCKET: plain(options.s3.bucket),
    S3_REGION: plain(options.s3.region),
    LOCAL_HOST_URL: plain(options.hostUrl),
    WEBHOOK_SECRET: secret(options.webhookSecret),
    ADMIN_TOKEN: secret(options.adminToken),
    SESSION_TOKEN: secret(options.sessionToken),
    S3_ACCESS_KEY_ID: secret(options.s3.accessKeyId),
    S3_SECRET_ACCESS_KEY: secret(options.s3.secretAccessKey),
    LOCAL_HOST_TOKEN: secret(options.hostToken),
  };
}

/** Returns the folder of wrangler's log files for a Worker persisting to `persistDir`. */
export function wranglerLogDir(persistDir: string): string {
  return join(persistDir, "logs");
}

/** Polls `GET /healthz` until the Worker returns 200. */
async function waitUntilServing(url: string): Promise<void> {
  await pollUntil(
    async () => {
      try {
        return (await fetch(`${url}/healthz`)).ok;
      } catch {
        return false;
      }
    },
    READY_TIMEOUT_MS,
    () =>
      `the Worker at ${url} did not respond to GET /healthz within ${READY_TIMEOUT_MS} ms; see the workerd errors above`,
  );
}

/** Starts the Worker and resolves once it serves requests. */
export async function startLocalWorker(options: LocalWorkerOptions): Promise<LocalWorker> {
  // Miniflare otherwise downloads a sample `Request.cf` object from
  // Cloudflare on start; the local stack stays on loopback.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  // wrangler 4 writes a log file per start, by default under
  // ~/.config/.wrangler/logs; this keeps it inside the state folder. A value
  // the user set wins. wrangler 4.86 still creates
  // ~/.config/.wrangler/metrics.json (a device id) when it is missing.
  // NOTE: wrangler reads the variable once, when its module first loads, so
  // every later Worker of the same process logs to the first one's folder.
  process.env.WRANGLER_LOG_PATH ??= wranglerLogDir(options.persistDir);
  let worker: Awaited<ReturnType<Wrangler["unstable_startWorker"]>>;
  try {
    worker = await withoutExitListeners(async () => {
      // Imported here so that the listeners wrangler adds on load are removed too.
      const wrangler = await import("wrangler");
      const compatibilityDate = localCompatibilityDate(
        wrangler,
        options.configPath,
        options.logger,
      );
      const started = await wrangler.unstable_startWorker({
        config: options.configPath,
        ...(compatibilityDate === undefined ? {} : { compatibilityDate }),
        // Only these bindings: no .dev.vars or .env file changes the local stack.
        envFiles: [],
        bindings: workerBindings(options),
        sendMetrics: false,
        dev: {
          server: { hostname: "127.0.0.1", port: options.port },
          inspector: false,
          remote: false,
          persist: options.persistDir,
          watch: false,
          enableContainers: false,
          generateTypes: false,
          // At "warn", wrangler repeats a bundling warning about @cloudflare/sandbox on every start.
          logLevel: options.verbose ? "log" : "error",
        },
      });
      await started.ready;
      return started;
    });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = /EADDRINUSE|address already in use/i.test(message)
      ? `; port ${options.port} is in use: stop what uses it or pass another --worker-port`
      : "";
    throw new Error(`Failed to start the Worker in workerd: ${message}${hint}`, { cause: error });
  }

  const url = (await worker.url).origin;
  // `ready` resolves even when workerd fails to load the Worker, so the
  // Worker counts as started only once it serves a request.
  try {
    await waitUntilServing(url);
  } catch (error: unknown) {
    await worker.dispose().catch(() => undefined);
    throw error;
  }
  return {
    url,
    close: () => worker.dispose(),
  };
}
