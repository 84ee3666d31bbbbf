/** Runs a command to completion and measures its wall-clock time. */

import { spawn } from "node:child_process";

export interface CommandResult {
  /** Wall-clock time from spawn to exit, in milliseconds. */
  ms: number;
  stdout: string;
  stderr: string;
}

const OUTPUT_LIMIT = 1024 * 1024;

/**
 * Runs `command` with `args` and `env` (nothing else from this process's
 * environment) and throws, with the end of its standard error, unless it exits 0.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<CommandResult> {
  const started = performance.now();
  const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    if (stdout.length < OUTPUT_LIMIT) stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < OUTPUT_LIMIT) stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", (error) =>
      reject(new Error(`Failed to start ${command}: ${error.message}`, { cause: error })),
    );
    child.once("close", resolve);
  });
  const ms = performance.now() - started;
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with code ${code}: ${stderr.slice(-2000)}`,
    );
  }
  return { ms, stdout, stderr };
}

/** Returns the first line `command args` prints, or `undefined` when it is not installed. */
export async function versionOf(
  command: string,
  args: readonly string[],
): Promise<string | undefined> {
  try {
    const result = await runCommand(command, args, { PATH: process.env.PATH ?? "/usr/bin:/bin" });
    const text = `${result.stdout}\n${result.stderr}`.trim();
    return text.split("\n")[0]?.trim();
  } catch {
    return undefined;
  }
}
