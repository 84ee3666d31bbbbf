/**
 * The Cloudflare Sandbox SDK provider (@cloudflare/sandbox 0.12.x). This is
 * the only module that imports the SDK, because the SDK is moving bucket
 * mounts to a new API: when it does, `toSdkMount` and this file change and
 * nothing else does. `worker/index.ts` re-exports `Sandbox` and
 * `ContainerProxy` from here.
 */

import {
  getSandbox,
  type ISandbox,
  type MountBucketOptions,
  type Sandbox,
} from "@cloudflare/sandbox";
import { toBase64 } from "../../core/encoding.ts";
import type {
  ExecResult,
  MountRequest,
  SandboxHandle,
  SandboxProcess,
  SandboxProvider,
} from "./types.ts";
import { SandboxUnsupportedError } from "./types.ts";

export { ContainerProxy, Sandbox } from "@cloudflare/sandbox";

/**
 * File that records a finished setup. A container's disk starts from the
 * image on every container start, so the file's absence after a restart is
 * how a reconnect learns that the mount and the agent are gone.
 */
export const SETUP_MARKER_PATH = "/tmp/r2-skills/setup-version";

/** The part of the SDK's sandbox stub this provider calls. `ISandbox` satisfies it. */
export interface SdkSandbox {
  mountBucket(bucket: string, mountPath: string, options: MountBucketOptions): Promise<void>;
  unmountBucket(mountPath: string): Promise<void>;
  exists(path: string): Promise<{ exists: boolean }>;
  readFile(path: string): Promise<{ content: string }>;
  writeFile(path: string, content: string, options?: { encoding?: string }): Promise<unknown>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  exec(command: string): Promise<ExecResult>;
  setEnvVars(envVars: Record<string, string | undefined>): Promise<void>;
  startProcess(command: string): Promise<{
    id: string;
    waitForPort(port: number, options?: { mode?: "http" | "tcp"; timeout?: number }): Promise<void>;
  }>;
  killProcess(id: string): Promise<void>;
  wsConnect(request: Request, port: number): Promise<Response>;
}

/** Fails to compile if the SDK's stub stops matching `SdkSandbox`. */
function asSdkSandbox(stub: ISandbox): SdkSandbox {
  return stub;
}

/** Translates a mount request into the SDK's `mountBucket` arguments. */
export function toSdkMount(
  request: MountRequest,
): [bucket: string, mountPath: string, options: MountBucketOptions] {
  switch (request.kind) {
    case "r2-binding":
      // No endpoint: the SDK resolves `binding` in its own env as an R2
      // binding and serves s3fs through egress interception.
      return [request.binding, request.mountPath, { prefix: request.prefix, readOnly: true }];
    case "s3":
      // credentialProxy keeps the keys in the Sandbox Durable Object: the
      // container's s3fs gets placeholder keys and the SDK signs its requests.
      return [
        request.bucket,
        request.mountPath,
        {
          endpoint: request.endpoint,
          credentials: request.credentials,
          prefix: request.prefix,
          readOnly: true,
          credentialProxy: true,
        },
      ];
    case "local-sync":
      return [
        request.binding,
        request.mountPath,
        { localBucket: true, prefix: request.prefix, readOnly: true },
      ];
    case "host":
      throw new SandboxUnsupportedError(
        'MOUNT_MODE "local" needs the local sandbox host; Cloudflare containers mount with "r2-binding", "s3", "local-sync" or "copy"',
      );
  }
}

/** Wraps one SDK sandbox stub in the provider-neutral handle. */
export function cloudflareHandle(sessionId: string, sandbox: SdkSandbox): SandboxHandle {
  return {
    sessionId,
    mount: (request) => sandbox.mountBucket(...toSdkMount(request)),
    unmount: (mountPath) => sandbox.unmountBucket(mountPath),
    exists: async (path) => (await sandbox.exists(path)).exists,
    writeFile: async (path, content) => {
      await sandbox.writeFile(path, toBase64(content), { encoding: "base64" });
    },
    exec: async (command) => {
      const result = await sandbox.exec(command);
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
    setEnvVars: (env) => sandbox.setEnvVars(env),
    startProcess: async (command): Promise<SandboxProcess> => {
      const process = await sandbox.startProcess(command);
      return {
        id: process.id,
        // TCP mode, because an agent's WebSocket port need not respond to plain HTTP with 2xx.
        waitForPort: (port, options) =>
          process.waitForPort(port, { mode: "tcp", timeout: options.timeoutMs }),
        kill: () => sandbox.killProcess(process.id),
      };
    },
    readSetupMarker: async () => {
      if (!(await sandbox.exists(SETUP_MARKER_PATH)).exists) return null;
      return (await sandbox.readFile(SETUP_MARKER_PATH)).content.trim();
    },
    writeSetupMarker: async (version) => {
      await sandbox.mkdir(SETUP_MARKER_PATH.slice(0, SETUP_MARKER_PATH.lastIndexOf("/")), {
        recursive: true,
      });
      await sandbox.writeFile(SETUP_MARKER_PATH, version);
    },
    wsConnect: (request, port) => sandbox.wsConnect(request, port),
  };
}

/** Sandbox ids the SDK rejects (`sanitizeSandboxId` in @cloudflare/sandbox 0.12.10). */
const RESERVED_SANDBOX_IDS = new Set([
  "www",
  "api",
  "admin",
  "root",
  "system",
  "cloudflare",
  "workers",
]);
const MAX_SANDBOX_ID_LENGTH = 63;

/** Returns why the SDK would reject `sessionId` as a sandbox id, or `undefined`. */
export function sandboxIdProblem(sessionId: string): string | undefined {
  if (sessionId.length > MAX_SANDBOX_ID_LENGTH) {
    return `Cloudflare sandboxes need session ids of at most ${MAX_SANDBOX_ID_LENGTH} characters`;
  }
  if (sessionId.endsWith("-"))
    return "Cloudflare sandboxes need session ids that do not end with a hyphen";
  if (RESERVED_SANDBOX_IDS.has(sessionId.toLowerCase())) {
    return `Cloudflare sandboxes reserve the id ${JSON.stringify(sessionId)}`;
  }
  return undefined;
}

/** Creates the provider for deployed Workers, with one Sandbox Durable Object per session id. */
export function cloudflareSandboxProvider(
  namespace: DurableObjectNamespace<Sandbox>,
): SandboxProvider {
  return {
    name: "cloudflare",
    sessionIdProblem: sandboxIdProblem,
    get: (sessionId) => cloudflareHandle(sessionId, asSdkSandbox(getSandbox(namespace, sessionId))),
  };
}
