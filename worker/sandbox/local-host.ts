/**
 * The client of the local sandbox host that `npm start` runs on loopback in
 * place of Cloudflare's containers. It speaks the protocol in
 * core/sandbox-host.ts, with `Authorization: Bearer <LOCAL_HOST_TOKEN>`.
 *
 * The host mounts or copies a version itself (`mount` with a `host`
 * request), sets environment variables and starts processes. It has no
 * operation for writing single files, running shell commands, waiting for a
 * port or proxying a WebSocket, so those throw `SandboxUnsupportedError`.
 */

import { z } from "zod";
import { quote } from "../../core/ids.ts";
import { mountResponseSchema, sandboxStatusSchema } from "../../core/sandbox-host.ts";
import type { SandboxHandle, SandboxProvider } from "./types.ts";
import { SandboxUnsupportedError } from "./types.ts";

/** The folder that a host workspace stands for in mount paths, as in Cloudflare containers. */
export const WORKSPACE_ROOT = "/workspace";

export interface LocalHostOptions {
  /** Base URL of the host, such as `http://127.0.0.1:8788`. */
  url: string;
  /** Returns LOCAL_HOST_TOKEN; called per request, so a missing secret fails only session routes. */
  token: () => string;
  fetch?: typeof fetch;
}

/** The host returned an error status or a body that breaks the protocol. */
export class LocalHostError extends Error {
  override readonly name = "LocalHostError";
  readonly status: number;

  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

const errorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
const existsResponseSchema = z.object({ exists: z.boolean() });
const processResponseSchema = z.object({ pid: z.number().int() });

/**
 * Converts an absolute sandbox path under `/workspace` to the
 * workspace-relative path the host protocol expects.
 */
export function toWorkspacePath(path: string): string {
  const prefix = `${WORKSPACE_ROOT}/`;
  if (!path.startsWith(prefix) || path.length === prefix.length) {
    throw new SandboxUnsupportedError(
      `The local sandbox host only serves paths under ${WORKSPACE_ROOT}/, got ${quote(path)}; set MOUNT_PATH to a folder such as "${WORKSPACE_ROOT}/.claude/skills"`,
    );
  }
  return path.slice(prefix.length).replace(/\/+$/, "");
}

function unsupported(operation: string): never {
  throw new SandboxUnsupportedError(
    `The local sandbox host cannot ${operation}: it runs no agent process, so sessions of the local stack have a mount but no agent (deploy the Worker with a container for that)`,
  );
}

/** Creates the provider for `MOUNT_MODE=local`. */
export function localHostProvider(options: LocalHostOptions): SandboxProvider {
  const base = options.url.replace(/\/+$/, "");
  const fetcher = options.fetch ?? fetch;

  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const url = `${base}${path}`;
    let response: Response;
    try {
      response = await fetcher(url, {
        method,
        headers: {
          authorization: `Bearer ${options.token()}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error: unknown) {
      throw new LocalHostError(
        502,
        `The local sandbox host at ${base} did not respond to ${method} ${path}; check that it runs and that LOCAL_HOST_URL points at it`,
        { cause: error },
      );
    }
    return response;
  }

  async function readJson<T>(response: Response, schema: z.ZodType<T>, action: string): Promise<T> {
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error: unknown) {
      throw new LocalHostError(
        502,
        `The local sandbox host sent invalid JSON when asked to ${action}`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) {
      const parsed = errorResponseSchema.safeParse(json);
      const detail = parsed.success ? parsed.data.error.message : `status ${response.status}`;
      throw new LocalHostError(
        response.status,
        `The local sandbox host failed to ${action}: ${detail}`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new LocalHostError(
        502,
        `The local sandbox host sent an unexpected response when asked to ${action}: ${parsed.error.issues[0]?.message ?? "invalid body"}`,
      );
    }
    return parsed.data;
  }

  function handle(sessionId: string): SandboxHandle {
    const sandboxPath = `/sandboxes/${encodeURIComponent(sessionId)}`;
    return {
      sessionId,
      mount: async (request) => {
        if (request.kind !== "host") unsupported(`mount with the "${request.kind}" mount mode`);
        const body = {
          version: request.version,
          prefix: request.prefix,
          manifestKey: request.manifestKey,
          manifestSha256: request.manifestSha256,
          ...(request.knownFile === undefined ? {} : { knownFile: request.knownFile }),
          mountPath: toWorkspacePath(request.mountPath),
          readOnly: true,
        };
        await readJson(
          await call("POST", `${sandboxPath}/mount`, body),
          mountResponseSchema,
          `mount version ${request.version}`,
        );
      },
      unmount: async () => {
        const response = await call("DELETE", sandboxPath);
        if (!response.ok && response.status !== 404) {
          await readJson(response, z.unknown(), "remove the sandbox");
        }
      },
      exists: async (path) => {
        const result = await readJson(
          await call("POST", `${sandboxPath}/exists`, { path: toWorkspacePath(path) }),
          existsResponseSchema,
          `check ${quote(path)}`,
        );
        return result.exists;
      },
      writeFile: () => unsupported("write single files (copy mode)"),
      exec: () => unsupported("run shell commands"),
      setEnvVars: async (env) => {
        await readJson(
          await call("POST", `${sandboxPath}/env`, { env }),
          z.unknown(),
          "set environment variables",
        );
      },
      startProcess: async (command) => {
        const result = await readJson(
          await call("POST", `${sandboxPath}/processes`, { command }),
          processResponseSchema,
          "start a process",
        );
        return {
          id: String(result.pid),
          waitForPort: () => unsupported("wait for a port"),
          kill: () => unsupported("stop a process"),
        };
      },
      // The host's status is the marker: it lists a mount only while the
      // workspace still has it, and a restarted host has no sandboxes.
      readSetupMarker: async () => {
        const response = await call("GET", sandboxPath);
        if (response.status === 404) {
          await response.body?.cancel();
          return null;
        }
        const status = await readJson(response, sandboxStatusSchema, "read the sandbox status");
        return status.mount?.version ?? null;
      },
      writeSetupMarker: async () => {},
      wsConnect: () => unsupported("proxy a WebSocket to the agent"),
    };
  }

  return { name: "local-host", sessionIdProblem: () => undefined, get: handle };
}
