/**
 * The one interface every session's sandbox goes through. Three providers
 * implement it: the Cloudflare Sandbox SDK (`cloudflare.ts`), the local
 * sandbox host of `npm start` (`local-host.ts`) and a recording fake for
 * tests (`recording.ts`). Session code and mount modes see only these types,
 * so a change in the SDK's mount API touches `cloudflare.ts` alone.
 */

/** Mounts an R2 binding of the Sandbox Durable Object; no credentials enter the container. */
export interface R2BindingMount {
  kind: "r2-binding";
  /** Name of the R2 binding in the Worker's env, such as `SKILLS_BUCKET`. */
  binding: string;
  /** Absolute path in the container. */
  mountPath: string;
  /** Key prefix, starting and ending with `/`, such as `/versions/<version>/`. */
  prefix: string;
  readOnly: true;
}

/** Mounts a bucket of any S3-compatible store over its S3 endpoint. */
export interface S3Mount {
  kind: "s3";
  endpoint: string;
  bucket: string;
  mountPath: string;
  /** Key prefix, starting and ending with `/`. */
  prefix: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  readOnly: true;
}

/** Syncs an R2 binding into the container, for `wrangler dev` with Docker. */
export interface LocalSyncMount {
  kind: "local-sync";
  binding: string;
  mountPath: string;
  /** Key prefix, starting and ending with `/`. */
  prefix: string;
  readOnly: true;
}

/** Asks the local sandbox host to mount or copy a version (core/sandbox-host.ts). */
export interface HostMount {
  kind: "host";
  version: string;
  mountPath: string;
  /** Key prefix without a leading `/`, `<root>versions/<version>/`. */
  prefix: string;
  manifestKey: string;
  manifestSha256: string;
  /** The file the mount must show, relative to the version root, when the Worker has it. */
  knownFile?: string;
  readOnly: true;
}

export type MountRequest = R2BindingMount | S3Mount | LocalSyncMount | HostMount;

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A process started in a sandbox. */
export interface SandboxProcess {
  readonly id: string;
  /** Resolves when the process listens on `port`; rejects when it exits first or times out. */
  waitForPort(port: number, options: { timeoutMs: number }): Promise<void>;
  /** Stops the process, for a setup that fails after the agent started. */
  kill(): Promise<void>;
}

/** Returns a handle per session; getting a handle starts nothing. */
export interface SandboxProvider {
  /** The provider's name for logs and errors: `cloudflare`, `local-host` or `recording`. */
  readonly name: string;
  /**
   * Returns why the provider cannot use `sessionId` (which already matches
   * core SESSION_ID_PATTERN), or `undefined` when it can.
   */
  sessionIdProblem(sessionId: string): string | undefined;
  get(sessionId: string): SandboxHandle;
}

/**
 * The operations session setup needs from one session's sandbox. Paths are
 * absolute paths in the sandbox. A provider that cannot perform an operation
 * throws `SandboxUnsupportedError`.
 */
export interface SandboxHandle {
  readonly sessionId: string;
  mount(request: MountRequest): Promise<void>;
  /** Removes the mount at `mountPath` that `mount` made. */
  unmount(mountPath: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Writes a file, creating nothing else: the parent folder must exist. */
  writeFile(path: string, content: Uint8Array): Promise<void>;
  /** Runs a shell command in the sandbox and returns its exit code and output. */
  exec(command: string): Promise<ExecResult>;
  /** Sets environment variables for every process started afterwards. */
  setEnvVars(env: Record<string, string>): Promise<void>;
  startProcess(command: string): Promise<SandboxProcess>;
  /**
   * Returns the version this container instance finished setting up, or
   * `null` when it never did: a new container, or one that restarted and lost
   * its mounts and processes.
   */
  readSetupMarker(): Promise<string | null>;
  /** Records that this container instance finished setting up `version`. */
  writeSetupMarker(version: string): Promise<void>;
  /** Proxies a WebSocket upgrade request to `port` in the sandbox. */
  wsConnect(request: Request, port: number): Promise<Response>;
}

/** The provider cannot perform an operation, such as copying files into the local sandbox host. */
export class SandboxUnsupportedError extends Error {
  override readonly name = "SandboxUnsupportedError";
}
