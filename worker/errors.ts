/**
 * HTTP errors and the one handler that renders them as
 * `{"error": {"code", "message"}}`. Anything that is not an `HttpError` is
 * an internal error: the client gets a generic 500 with the request id, and
 * the log line gets the cause.
 */

import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./log.ts";
import { requestLogger } from "./log.ts";

export interface HttpErrorOptions {
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error with the status, code and message the client receives. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.headers = options.headers;
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Renders `HttpError`s as they are and every other error as a 500 without details. */
export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof HttpError) {
    if (error.status >= 500) {
      requestLogger(c).error("request failed", { code: error.code, error: describe(error) });
    }
    return c.json(errorBody(error.code, error.message), error.status, error.headers);
  }
  const requestId = c.get("requestId");
  requestLogger(c).error("internal error", { error: describe(error) });
  return c.json(
    errorBody(
      "internal_error",
      `Internal error; look for request id ${requestId} in the Worker's logs`,
    ),
    500,
  );
};

export const onNotFound: NotFoundHandler<AppEnv> = (c: Context<AppEnv>) =>
  c.json(
    errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`),
    404,
  );

/** Describes an error and its causes for a log line. */
export function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return parts.join(" <- ");
}
