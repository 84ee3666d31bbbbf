/**
 * The local sandbox host: the HTTP server side of the protocol in
 * core/sandbox-host.ts, on 127.0.0.1. The Worker's `local` mount mode is its
 * client. Every request needs `Authorization: Bearer <host token>`.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { isSessionId } from "../core/ids.ts";
import type { Logger } from "../core/logger.ts";
import { checkRelativePath } from "../core/paths.ts";
import { mountRequestSchema } from "../core/sandbox-host.ts";
import { HostError, Sessions, type SessionsOptions } from "./sessions.ts";

/** Largest request body the host reads, in bytes. */
const MAX_BODY_BYTES = 256 * 1024;

const existsRequestSchema = z.strictObject({ path: z.string() });
const envRequestSchema = z.strictObject({
  env: z.record(z.string(), z.string().max(32 * 1024)),
});
const processRequestSchema = z.strictObject({
  command: z
    .string()
    .min(1)
    .max(64 * 1024),
});

export interface SandboxHostOptions extends SessionsOptions {
  token: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
}

export interface SandboxHost {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  sessions: Sessions;
  /** Stops accepting requests and removes every sandbox, unmounting its version. */
  close(): Promise<void>;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > MAX_BODY_BYTES) {
      throw new HostError(
        413,
        "body_too_large",
        `The request body is over ${MAX_BODY_BYTES} bytes`,
      );
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    throw new HostError(400, "invalid_json", "The request body is not valid JSON", {
      cause: error,
    });
  }
}

function parseBody<T>(schema: z.ZodType<T>, json: unknown): T {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new HostError(
      400,
      "invalid_request",
      `Invalid request body: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return result.data;
}

function authorize(request: IncomingMessage, expectedToken: Buffer): void {
  const authorization = request.headers.authorization ?? "";
  if (!timingSafeEqual(digest(authorization), expectedToken)) {
    throw new HostError(
      401,
      "unauthorized",
      "Missing or invalid bearer token; send the host token as Authorization: Bearer <token>",
    );
  }
}

type Action = "mount" | "exists" | "env" | "processes";

/** Splits `/sandboxes/:sessionId[/:action]` and checks the session id. */
function parseRoute(request: IncomingMessage): {
  id: string;
  action: Action | undefined;
  path: string;
} {
  const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
  const match = /^\/sandboxes\/([^/]+)(?:\/(mount|exists|env|processes))?$/.exec(path);
  if (match === null) {
    throw new HostError(404, "not_found", `No route for ${request.method} ${path}`);
  }
  const id = decodeURIComponent(match[1] ?? "");
  if (!isSessionId(id)) {
    throw new HostError(
      400,
      "invalid_session_id",
      `Invalid session id ${JSON.stringify(id)}: expected 1 to 64 letters, digits, "_" or "-"`,
    );
  }
  return { id, action: match[2] as Action | undefined, path };
}

/** Runs one `POST /sandboxes/:sessionId/:action` request and returns its response body. */
async function handleAction(
  sessions: Sessions,
  id: string,
  action: Action,
  body: unknown,
): Promise<unknown> {
  switch (action) {
    case "mount":
      return await sessions.mount(id, parseBody(mountRequestSchema, body));
    case "exists": {
      const { path } = parseBody(existsRequestSchema, body);
      const reason = checkRelativePath(path);
      if (reason !== undefined) {
        throw new HostError(
          400,
          "invalid_path",
          `Invalid path ${JSON.stringify(path)}: ${reason}; send a path relative to the workspace`,
        );
      }
      return { exists: await sessions.exists(id, path) };
    }
    case "env":
      sessions.setEnv(id, parseBody(envRequestSchema, body).env);
      return { ok: true };
    case "processes":
      return {
        pid: await sessions.startProcess(id, parseBody(processRequestSchema, body).command),
      };
  }
}

/** Starts the host on 127.0.0.1 and resolves once it listens. */
export async function startSandboxHost(options: SandboxHostOptions): Promise<SandboxHost> {
  const sessions = new Sessions(options);
  const expectedToken = digest(`Bearer ${options.token}`);
  const logger: Logger = options.logger;

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    authorize(request, expectedToken);
    const { id, action, path } = parseRoute(request);
    const method = request.method ?? "GET";

    if (action === undefined && method === "GET") {
      const status = sessions.status(id);
      if (status === undefined) {
        throw new HostError(404, "not_found", `No sandbox for session ${id}`);
      }
      sendJson(response, 200, status);
      return;
    }
    if (action === undefined && method === "DELETE") {
      const removed = await sessions.remove(id);
      if (!removed) throw new HostError(404, "not_found", `No sandbox for session ${id}`);
      sendJson(response, 200, { deleted: true });
      return;
    }
    if (action === undefined || method !== "POST") {
      throw new HostError(405, "method_not_allowed", `${method} is not allowed on ${path}`);
    }

    const body = await readJsonBody(request);
    sendJson(response, 200, await handleAction(sessions, id, action, body));
  };

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const hostError =
        error instanceof HostError
          ? error
          : new HostError(
              500,
              "internal_error",
              error instanceof Error ? error.message : String(error),
              { cause: error },
            );
      if (hostError.status === 404 && request.method === "GET") {
        // The Worker reads the status of every new session first, so 404 is routine.
        logger.debug(`${request.method} ${request.url}: no such sandbox`);
      } else if (hostError.status >= 500) {
        logger.error(`${request.method} ${request.url} failed`, {
          status: hostError.status,
          error: hostError.message,
        });
      } else {
        logger.warn(`${request.method} ${request.url} rejected`, {
          status: hostError.status,
          error: hostError.message,
        });
      }
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendJson(response, hostError.status, {
        error: { code: hostError.code, message: hostError.message },
      });
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info(`Sandbox host listens on ${url}`, { mode: sessions.mode });

  return {
    url,
    sessions,
    async close() {
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      const failures = await sessions.removeAll();
      if (failures.length > 0) {
        throw new AggregateError(
          failures,
          `Failed to remove ${failures.length} sandbox(es): ${failures.map((failure) => failure.message).join("; ")}`,
        );
      }
    },
  };
}
