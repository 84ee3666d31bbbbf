/**
 * Runs one CLI command and returns the exit status: 0 success, 1 failure
 * (invalid skills included), 2 usage error. With --json, stdout gets exactly
 * one JSON object, failures included; every log line goes to stderr.
 */

import { toStoredJson } from "../core/json.ts";
import type { Logger } from "../core/logger.ts";
import { PublishError } from "../publisher/errors.ts";
import { type CliCommand, type Environment, UsageError } from "./command.ts";
import { runNotify } from "./commands/notify.ts";
import { runPublish } from "./commands/publish.ts";
import type { CommandResult } from "./commands/result.ts";
import { runValidate } from "./commands/validate.ts";
import { runRollback, runStatus } from "./commands/worker.ts";
import { stderrLogger } from "./logger.ts";
import { RepositoryError } from "./repository.ts";
import { parseCommandLine } from "./settings.ts";
import { WorkerApiError } from "./worker-api.ts";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function runCli(
  argv: string[],
  env: Environment,
  cwd: string,
  io: CliIo = processIo,
): Promise<number> {
  // Known before parsing, so even a usage error prints as JSON.
  const json = argv.includes("--json");

  let command: CliCommand;
  const warnings: string[] = [];
  try {
    command = parseCommandLine(argv, env, cwd, warnings);
  } catch (error: unknown) {
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    if (error instanceof UsageError) {
      report(io, json, "usage", error.message);
      return 2;
    }
    report(io, json, "internal", error instanceof Error ? error.message : String(error));
    return 1;
  }

  if (command.name === "help") {
    io.stdout(command.text);
    return 0;
  }

  const logger = stderrLogger({
    verbose: command.verbose,
    write: (line) => io.stderr(`${line}\n`),
  });
  for (const warning of command.warnings) logger.warn(warning);

  let result: CommandResult;
  try {
    result = await execute(command, logger);
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      report(io, command.json, "usage", error.message);
      return 2;
    }
    report(
      io,
      command.json,
      errorCode(error),
      error instanceof Error ? error.message : String(error),
    );
    if (command.verbose && error instanceof Error && error.stack !== undefined) {
      io.stderr(`${error.stack}\n`);
    }
    return 1;
  }

  if (command.json) io.stdout(toStoredJson(result.json));
  else io.stdout(result.text);
  return result.exitCode;
}

function execute(
  command: Exclude<CliCommand, { name: "help" }>,
  logger: Logger,
): Promise<CommandResult> {
  switch (command.name) {
    case "validate":
      return runValidate(command, logger);
    case "publish":
      return runPublish(command, logger);
    case "notify":
      return runNotify(command, logger);
    case "status":
      return runStatus(command, logger);
    case "rollback":
      return runRollback(command, logger);
  }
}

function errorCode(error: unknown): string {
  if (error instanceof PublishError) return error.code;
  if (error instanceof WorkerApiError) return error.code;
  if (error instanceof RepositoryError) return "repository";
  return "internal";
}

function report(io: CliIo, json: boolean, code: string, message: string): void {
  if (json) io.stdout(toStoredJson({ ok: false, error: { code, message } }));
  io.stderr(`error: ${message}\n`);
}
