/**
 * The sandboxes of the local sandbox host: one workspace folder per session
 * under `<sessions root>/<id>/workspace`, at most one read-only version
 * mounted in it, an environment, and the processes started there.
 * Operations on one session run one at a time.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { manifestKey as manifestKeyOf, versionPrefix } from "../core/keys.ts";
import type { Logger } from "../core/logger.ts";
import type { Manifest } from "../core/manifest.ts";
import type { MountRequest, MountResponse, SandboxStatus } from "../core/sandbox-host.ts";
import { type BucketAccess, ManifestDigestError, objectExists, readManifest } from "./bucket.ts";
import { copyVersion, removeTree } from "./copy.ts";
import {
  DEFAULT_MOUNT_TIMEOUT_MS,
  firstSkillFile,
  type MountMode,
  mountWithS3fs,
  testPath,
  unmount,
} from "./mount.ts";

/** An error with the HTTP status and code the host sends for it. */
export class HostError extends Error {
  override readonly name = "HostError";
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

interface Sandbox {
  id: string;
  folder: string;
  workspace: string;
  mount: { version: string; mode: MountMode; path: string } | null;
  env: Record<string, string>;
  processes: Set<ChildProcess>;
  /** The tail of the queue of operations on this sandbox. */
  queue: Promise<unknown>;
}

export interface SessionsOptions {
  /** Folder that contains one folder per session. */
  root: string;
  access: BucketAccess;
  client: S3Client;
  /** The bucket's root prefix, `""` or `a/b/`. */
  rootPrefix: string;
  mode: MountMode;
  /** The s3fs password file, written by the caller. Required for `s3fs` mode. */
  passwordFile: string | undefined;
  mountTimeoutMs?: number;
  logger: Logger;
}

/** Environment names a process may receive: POSIX shell variable names. */
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class Sessions {
  readonly #options: SessionsOptions;
  readonly #sandboxes = new Map<string, Sandbox>();

  constructor(options: SessionsOptions) {
    this.#options = options;
  }

  get mode(): MountMode {
    return this.#options.mode;
  }

  /** Runs `work` after every earlier operation on the same session. */
  async #serial<T>(sandbox: Sandbox, work: () => Promise<T>): Promise<T> {
    const run = sandbox.queue.then(work, work);
    sandbox.queue = run.catch(() => undefined);
    return await run;
  }

  #sandbox(id: string): Sandbox | undefined {
    return this.#sandboxes.get(id);
  }

  #require(id: string): Sandbox {
    const sandbox = this.#sandbox(id);
    if (sandbox === undefined) {
      throw new HostError(
        404,
        "not_found",
        `No sandbox for session ${JSON.stringify(id)}; mount a version first`,
      );
    }
    return sandbox;
  }

  async #create(id: string): Promise<Sandbox> {
    const existing = this.#sandbox(id);
    if (existing !== undefined) return existing;
    const folder = join(this.#options.root, id);
    const sandbox: Sandbox = {
      id,
      folder,
      workspace: join(folder, "workspace"),
      mount: null,
      env: {},
      processes: new Set(),
      queue: Promise.resolve(),
    };
    this.#sandboxes.set(id, sandbox);
    await mkdir(sandbox.workspace, { recursive: true });
    return sandbox;
  }

  status(id: string): SandboxStatus | undefined {
    const sandbox = this.#sandbox(id);
    if (sandbox === undefined) return undefined;
    return { sessionId: id, workspace: sandbox.workspace, mount: sandbox.mount };
  }

  /** Mounts or copies a version at `<workspace>/<mountPath>`; a second call with the same version is a no-op. */
  async mount(id: string, request: MountRequest): Promise<MountResponse> {
    const { rootPrefix } = this.#options;
    const expectedPrefix = versionPrefix(rootPrefix, request.version);
    if (request.prefix !== expectedPrefix) {
      throw new HostError(
        400,
        "invalid_prefix",
        `Invalid prefix ${JSON.stringify(request.prefix)}: expected ${JSON.stringify(expectedPrefix)} for version ${request.version}; check that the Worker's SKILLS_PREFIX matches the local stack's prefix`,
      );
    }
    const expectedManifest = manifestKeyOf(rootPrefix, request.version);
    if (request.manifestKey !== expectedManifest) {
      throw new HostError(
        400,
        "invalid_manifest_key",
        `Invalid manifestKey ${JSON.stringify(request.manifestKey)}: expected ${JSON.stringify(expectedManifest)}`,
      );
    }
    const created = this.#sandbox(id) === undefined;
    const sandbox = await this.#create(id);
    return await this.#serial(sandbox, async () => {
      // A removal queued ahead of this mount took the sandbox away.
      if (this.#sandbox(id) !== sandbox) {
        throw new HostError(
          404,
          "not_found",
          `The sandbox of session ${JSON.stringify(id)} was removed while the mount waited; mount again`,
        );
      }
      const target = join(sandbox.workspace, request.mountPath);
      if (sandbox.mount !== null) {
        if (sandbox.mount.version === request.version && sandbox.mount.path === target) {
          return {
            sessionId: id,
            version: request.version,
            mode: sandbox.mount.mode,
            path: target,
            alreadyMounted: true,
          };
        }
        throw new HostError(
          409,
          "already_mounted",
          `Session ${id} already has version ${sandbox.mount.version} mounted at ${sandbox.mount.path}; start a new session for version ${request.version}`,
        );
      }
      try {
        await this.#mountVersion(sandbox, request, target);
      } catch (error: unknown) {
        // Nothing else used a sandbox this request created, so it goes too.
        if (created) await this.#forget(sandbox);
        throw error;
      }
      sandbox.mount = { version: request.version, mode: this.#options.mode, path: target };
      this.#options.logger.info(`Mounted version ${request.version} for session ${id}`, {
        mode: this.#options.mode,
        path: target,
      });
      return {
        sessionId: id,
        version: request.version,
        mode: this.#options.mode,
        path: target,
        alreadyMounted: false,
      };
    });
  }

  /**
   * Reads the version's manifest and checks it against the registry's
   * SHA-256 and the requested version. A missing or unreadable manifest is a
   * 404, and another manifest a 502, each naming the key.
   */
  async #readManifest(request: MountRequest): Promise<Manifest> {
    const { access, client } = this.#options;
    let manifest: Manifest;
    try {
      manifest = await readManifest(
        client,
        access.bucket,
        request.manifestKey,
        request.manifestSha256,
      );
    } catch (error: unknown) {
      if (error instanceof ManifestDigestError) {
        throw new HostError(502, "manifest_mismatch", error.message, { cause: error });
      }
      throw new HostError(
        404,
        "manifest_unavailable",
        `Version ${request.version} has no readable manifest at ${request.manifestKey}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (manifest.version !== request.version) {
      throw new HostError(
        502,
        "manifest_mismatch",
        `The manifest at ${request.manifestKey} is for version ${manifest.version}, not ${request.version}; publish the version again`,
      );
    }
    return manifest;
  }

  /**
   * Returns the file an s3fs mount must show. With the Worker's known file,
   * one HEAD request checks that its object exists, so session start reads
   * no manifest. Without it, the manifest names the file.
   */
  async #knownFile(request: MountRequest): Promise<string | undefined> {
    if (request.knownFile === undefined) return firstSkillFile(await this.#readManifest(request));
    const { access, client } = this.#options;
    const key = `${request.prefix}${request.knownFile}`;
    let exists: boolean;
    try {
      exists = await objectExists(client, access.bucket, key);
    } catch (error: unknown) {
      throw new HostError(
        502,
        "bucket_unavailable",
        `Version ${request.version} cannot be mounted: ${error instanceof Error ? error.message : String(error)}; check that the local S3 server is running`,
        { cause: error },
      );
    }
    if (!exists) {
      throw new HostError(
        404,
        "version_incomplete",
        `Version ${request.version} has no object ${key}, so it cannot be mounted; publish the version again`,
      );
    }
    return request.knownFile;
  }

  async #mountVersion(sandbox: Sandbox, request: MountRequest, target: string): Promise<void> {
    const { access, client, mode } = this.#options;
    // Read before the mount, so a missing version is a 404 and not a mount failure.
    const source =
      mode === "s3fs"
        ? { mode, knownFile: await this.#knownFile(request) }
        : { mode, manifest: await this.#readManifest(request) };
    try {
      if (source.mode === "s3fs") {
        if (this.#options.passwordFile === undefined) {
          throw new Error(
            "s3fs mode needs a password file; the sandbox host was started without one",
          );
        }
        await mountWithS3fs({
          access,
          prefix: request.prefix,
          target,
          passwordFile: this.#options.passwordFile,
          knownFile: source.knownFile,
          timeoutMs: this.#options.mountTimeoutMs ?? DEFAULT_MOUNT_TIMEOUT_MS,
        });
      } else {
        const writable = await copyVersion({
          client,
          bucket: access.bucket,
          prefix: request.prefix,
          target,
          manifest: source.manifest,
        });
        if (writable !== undefined) {
          this.#options.logger.warn(
            `The copy for session ${sandbox.id} is read-only by file modes only: ${writable}`,
          );
        }
      }
    } catch (error: unknown) {
      this.#options.logger.error(
        `Failed to mount version ${request.version} for session ${sandbox.id}`,
        {
          mode,
          error: error instanceof Error ? error.message : String(error),
        },
      );
      throw new HostError(
        500,
        "mount_failed",
        `Failed to ${mode === "s3fs" ? "mount" : "copy"} version ${request.version}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  /** Checks whether `path`, relative to the workspace, exists. */
  async exists(id: string, path: string): Promise<boolean> {
    const sandbox = this.#require(id);
    // The path may lie in an s3fs mount: see testPath for why no stat here.
    return await testPath(join(sandbox.workspace, path), "-e");
  }

  setEnv(id: string, env: Record<string, string>): void {
    const sandbox = this.#require(id);
    for (const name of Object.keys(env)) {
      if (!ENV_NAME_PATTERN.test(name)) {
        throw new HostError(
          400,
          "invalid_env",
          `Invalid environment variable name ${JSON.stringify(name)}: expected letters, digits and "_", not starting with a digit`,
        );
      }
    }
    Object.assign(sandbox.env, env);
  }

  /**
   * Starts `command` with `/bin/sh -c` in the workspace, with the session's
   * environment on top of PATH, and returns its pid. Output goes to
   * `<session folder>/logs/process-<start time in ms>.log`.
   */
  async startProcess(id: string, command: string): Promise<number> {
    const sandbox = this.#require(id);
    const logs = join(sandbox.folder, "logs");
    await mkdir(logs, { recursive: true });
    const logPath = join(logs, `process-${Date.now()}.log`);
    const log = await open(logPath, "a");
    try {
      const child = spawn("/bin/sh", ["-c", command], {
        cwd: sandbox.workspace,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: sandbox.workspace, ...sandbox.env },
        stdio: ["ignore", log.fd, log.fd],
        detached: true,
      });
      const pid = await new Promise<number>((resolvePid, reject) => {
        child.once("spawn", () => resolvePid(child.pid ?? -1));
        child.once("error", reject);
      });
      sandbox.processes.add(child);
      child.once("exit", (code, signal) => {
        sandbox.processes.delete(child);
        this.#options.logger.info(`Process ${pid} of session ${id} exited`, {
          code,
          signal,
          log: logPath,
        });
      });
      this.#options.logger.info(`Started process ${pid} in session ${id}`, { log: logPath });
      return pid;
    } catch (error: unknown) {
      throw new HostError(
        500,
        "spawn_failed",
        `Failed to start the process: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    } finally {
      await log.close();
    }
  }

  /** Removes an unmounted sandbox without processes: its folder and its entry. */
  async #forget(sandbox: Sandbox): Promise<void> {
    if (sandbox.mount !== null || sandbox.processes.size > 0) return;
    try {
      await removeTree(sandbox.folder);
    } catch (error: unknown) {
      this.#options.logger.warn(`Failed to remove the folder of session ${sandbox.id}`, {
        folder: sandbox.folder,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    if (this.#sandboxes.get(sandbox.id) === sandbox) this.#sandboxes.delete(sandbox.id);
  }

  /** Stops the session's processes, unmounts its version and removes its folder. */
  async remove(id: string): Promise<boolean> {
    const sandbox = this.#sandbox(id);
    if (sandbox === undefined) return false;
    await this.#serial(sandbox, async () => {
      for (const child of sandbox.processes) {
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGTERM");
          } catch {
            // The process group is gone already.
          }
        }
      }
      // Copies made as root are read-only bind mounts, so both modes may need this.
      if (sandbox.mount !== null) await unmount(sandbox.mount.path);
      sandbox.mount = null;
      await removeTree(sandbox.folder);
      this.#sandboxes.delete(id);
    });
    this.#options.logger.info(`Removed the sandbox of session ${id}`);
    return true;
  }

  /** Removes every sandbox; collects failures instead of stopping at the first. */
  async removeAll(): Promise<Error[]> {
    const failures: Error[] = [];
    for (const id of [...this.#sandboxes.keys()]) {
      try {
        await this.remove(id);
      } catch (error: unknown) {
        failures.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return failures;
  }
}
