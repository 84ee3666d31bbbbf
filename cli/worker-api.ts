/**
 * A client of the Worker's management API (`/channels`, `/versions`), which
 * takes the admin token as a bearer token and returns errors as
 * `{"error": {"code", "message"}}`.
 */

import type { WorkerSettings } from "./command.ts";

/** Timeout of one management request, in milliseconds. */
export const WORKER_TIMEOUT_MS = 30_000;

/** A management request failed; `code` is the Worker's error code or a local one. */
export class WorkerApiError extends Error {
  override readonly name = "WorkerApiError";
  readonly code: string;
  /** HTTP status, or `undefined` when no response came. */
  readonly status: number | undefined;

  constructor(code: string, status: number | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

/** Sends one request and returns the parsed JSON body of a 2xx response. */
export async function callWorker(
  worker: WorkerSettings,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = `${worker.url}${path}`;
  const operation = `${method} ${path}`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${worker.adminToken}`,
    accept: "application/json",
  };
  if (body !== undefined) headers["content-type"] = "application/json";

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(WORKER_TIMEOUT_MS),
    });
  } catch (error: unknown) {
    const reason = error instanceof Error ? describeFetchError(error) : String(error);
    throw new WorkerApiError(
      "unreachable",
      undefined,
      `Failed to reach the Worker at ${worker.url} (${operation}): ${reason}; check --worker-url or R2_SKILLS_WORKER_URL`,
      { cause: error },
    );
  }

  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }

  if (response.ok) {
    if (json === undefined) {
      throw new WorkerApiError(
        "invalid-response",
        response.status,
        `The Worker answered ${operation} with ${response.status} but no JSON body; check that --worker-url points at the r2-skills Worker`,
      );
    }
    return json;
  }

  const remote = errorOf(json);
  if (response.status === 401 || response.status === 403) {
    throw new WorkerApiError(
      remote?.code ?? "unauthorized",
      response.status,
      `The Worker rejected the admin token for ${operation} (${response.status}${remote ? `: ${remote.message}` : ""}); set R2_SKILLS_ADMIN_TOKEN to the Worker's ADMIN_TOKEN`,
    );
  }
  const detail = remote?.message ?? (text.slice(0, 200) || response.statusText);
  throw new WorkerApiError(
    remote?.code ?? `http-${response.status}`,
    response.status,
    `The Worker answered ${operation} with ${response.status}: ${detail}`,
  );
}

function describeFetchError(error: Error): string {
  if (error.name === "TimeoutError") return `no response within ${WORKER_TIMEOUT_MS / 1000} s`;
  const cause = error.cause;
  if (cause instanceof Error) return cause.message;
  return error.message;
}

/** Reads `{"error": {"code", "message"}}`, or `{"error": "message"}`, from a body. */
function errorOf(json: unknown): { code: string | undefined; message: string } | undefined {
  if (json === null || typeof json !== "object") return undefined;
  const error = (json as { error?: unknown }).error;
  if (typeof error === "string") return { code: undefined, message: error };
  if (error === null || typeof error !== "object") return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof message !== "string") return undefined;
  return { code: typeof code === "string" ? code : undefined, message };
}
