/**
 * Structured logging: one JSON line per event on the console, which Workers
 * observability indexes by field. Every request ends with one `request`
 * line that carries the request id and the ids the handler attached
 * (version, channel, session, webhook id). Fields whose names look like
 * credentials are dropped, so a token passed by mistake is not written.
 */

import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../core/logger.ts";

/** Ids and facts a handler attaches to its request's log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Hono's type parameters for the Worker's app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logFields: LogFields;
    logger: Logger;
  };
}

/** Shape of a Cloudflare Ray ID; anything else in the header is replaced by a UUID. */
const RAY_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

const SENSITIVE_FIELD = /secret|token|authorization|password|api_?key|credential/i;

type Level = "debug" | "info" | "warn" | "error";

function write(level: Level, message: string, fields: Record<string, unknown>): void {
  const line: Record<string, unknown> = { level, message };
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || SENSITIVE_FIELD.test(name)) continue;
    line[name] = value;
  }
  const text = JSON.stringify(line);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.log(text);
}

/** A logger that writes JSON lines with `base` merged into every line. */
export function jsonLogger(base: Record<string, unknown> = {}): Logger {
  const logger: Logger = {
    debug: (message, fields) => write("debug", message, { ...base, ...fields }),
    info: (message, fields) => write("info", message, { ...base, ...fields }),
    warn: (message, fields) => write("warn", message, { ...base, ...fields }),
    error: (message, fields) => write("error", message, { ...base, ...fields }),
    group: async (name, work) => {
      logger.debug(`${name}: started`);
      try {
        return await work();
      } finally {
        logger.debug(`${name}: finished`);
      }
    },
  };
  return logger;
}

/** Attaches ids to the request's outcome line. */
export function annotate(c: Context<AppEnv>, fields: LogFields): void {
  c.set("logFields", { ...c.get("logFields"), ...fields });
}

/** The request's logger, which adds the request id and the attached ids to each line. */
export function requestLogger(c: Context<AppEnv>): Logger {
  const base = { requestId: c.get("requestId"), ...c.get("logFields") };
  const logger = c.get("logger");
  return {
    debug: (message, fields) => logger.debug(message, { ...base, ...fields }),
    info: (message, fields) => logger.info(message, { ...base, ...fields }),
    warn: (message, fields) => logger.warn(message, { ...base, ...fields }),
    error: (message, fields) => logger.error(message, { ...base, ...fields }),
    group: (name, work) => logger.group(name, work),
  };
}

/**
 * Assigns the request id (the `cf-ray` header when present, else a random
 * UUID), returns it in `x-request-id` (except on a WebSocket upgrade), and
 * logs the outcome of the request.
 */
export function requestLog(logger: Logger, now: () => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ray = c.req.header("cf-ray");
    const requestId = ray !== undefined && RAY_PATTERN.test(ray) ? ray : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("logFields", {});
    c.set("logger", logger);
    const started = now();
    await next();
    // Setting a header on a finished response copies it, which would detach a WebSocket upgrade.
    if (c.res.status !== 101) c.header("x-request-id", requestId);
    const fields = {
      requestId,
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      durationMs: now() - started,
      ...c.get("logFields"),
    };
    if (c.res.status >= 500) logger.error("request", fields);
    else if (c.res.status >= 400) logger.warn("request", fields);
    else logger.info("request", fields);
  };
}
