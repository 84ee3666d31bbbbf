/**
 * The local bucket: s3rver on 127.0.0.1, keeping objects in a folder so
 * versions survive restarts. s3rver accepts one fixed key pair.
 *
 * s3rver runs in a child process, because in the stack's own process an
 * s3fs mount would deadlock. Starting a program that lives on the mount
 * blocks Node's event loop until the kernel has read the program through
 * s3fs, and s3fs waits for s3rver, which needs that event loop. File reads
 * through the mount likewise hold libuv pool threads that s3rver needs.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { assertPortFree } from "./ports.ts";

/** The only access key id and secret s3rver 3.x accepts. */
export const S3RVER_CREDENTIAL = "S3RVER";

/** How long s3rver may take to listen, in milliseconds. */
const START_TIMEOUT_MS = 30_000;

export interface LocalS3Options {
  /** Folder for the objects; created when missing. */
  directory: string;
  bucket: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const finish = (error: Error | undefined, port?: number): void => {
      clearTimeout(timer);
      child.stdout?.removeAllListeners("data");
      child.removeAllListeners("exit");
      if (error !== undefined || port === undefined) reject(error);
      else resolve(port);
    };
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      output += chunk;
      const newline = output.indexOf("\n");
      if (newline === -1) return;
      let message: { port?: unknown; error?: unknown };
      try {
        message = JSON.parse(output.slice(0, newline)) as typeof message;
      } catch {
        finish(new Error(`s3rver printed an unexpected line: ${output.slice(0, newline)}`));
        return;
      }
      if (typeof message.port === "number") finish(undefined, message.port);
      else finish(new Error(`s3rver failed to start: ${String(message.error)}`));
    });
    child.once("exit", (code, signal) => {
      finish(new Error(`s3rver exited before it listened (code ${code}, signal ${signal})`));
    });
  });
}

/** Starts s3rver with the bucket created and resolves once it listens. */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  await mkdir(options.directory, { recursive: true });
  // s3rver 3.7 leaves a listen error unhandled instead of failing its start.
  await assertPortFree(options.port, "--s3-port");
  const script = fileURLToPath(new URL("./s3-server-process.ts", import.meta.url));
  // s3rver 3.7 encrypts listing continuation tokens with DES, which Node 24's
  // OpenSSL provides only through its legacy provider. Without it, a listing
  // of more than 1,000 keys fails on its second page.
  const child = spawn(
    process.execPath,
    [
      "--openssl-legacy-provider",
      "--import",
      import.meta.resolve("tsx"),
      script,
      JSON.stringify(options),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  let port: number;
  try {
    port = await waitForPort(child);
  } catch (error: unknown) {
    child.kill("SIGKILL");
    throw error;
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
