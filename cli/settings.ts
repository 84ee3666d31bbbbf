/**
 * The CLI's settings: the only module that reads argv and the environment.
 * A flag wins over its `R2_SKILLS_*` variable, which wins over the standard
 * `AWS_*` one. Every problem is a `UsageError` that names the flag or
 * variable and the fix; secrets never appear in a message.
 */

import { parseArgs } from "node:util";
import { parseBoolean } from "../publisher/input-checks.ts";
import {
  type CliCommand,
  type CommonSettings,
  type Environment,
  type FlagValues,
  UsageError,
} from "./command.ts";
import { buildCommand } from "./command-settings.ts";
import { COMMANDS, type CommandName, FLAGS, type FlagKey, isCommandName } from "./flags.ts";
import { commandHelp, generalHelp } from "./help.ts";

/**
 * Parses the command line into a command with checked settings. Throws
 * `UsageError`; warnings found before the error are in `warnings` either way.
 */
export function parseCommandLine(
  argv: string[],
  env: Environment,
  cwd: string,
  warnings: string[] = [],
): CliCommand {
  const [first, ...rest] = argv;
  const common = (): CommonSettings => ({ json: false, verbose: false, warnings: [] });
  if (first === undefined) {
    throw new UsageError(`Missing command.\n\n${generalHelp()}`);
  }
  if (first === "--help" || first === "-h")
    return { ...common(), name: "help", text: generalHelp() };
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) return { ...common(), name: "help", text: generalHelp() };
    if (!isCommandName(topic)) throw unknownCommand(topic);
    return { ...common(), name: "help", text: commandHelp(topic) };
  }
  if (!isCommandName(first)) throw unknownCommand(first);
  return parseCommand(first, rest, env, cwd, warnings);
}

function unknownCommand(name: string): UsageError {
  return new UsageError(
    `Unknown command ${JSON.stringify(name)}: expected one of ${Object.keys(COMMANDS).join(", ")}; run "r2-skills --help"`,
  );
}

function parseCommand(
  name: CommandName,
  args: string[],
  env: Environment,
  cwd: string,
  warnings: string[],
): CliCommand {
  const keys: readonly FlagKey[] = COMMANDS[name].flags;
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const key of keys) {
    options[FLAGS[key].name] =
      key === "help" ? { type: "boolean", short: "h" } : { type: FLAGS[key].type };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
    });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message.split(". ")[0] : String(error);
    throw new UsageError(
      `${message} for "r2-skills ${name}"; run "r2-skills ${name} --help" for its flags`,
      {
        cause: error,
      },
    );
  }

  const values: FlagValues = new Map();
  for (const key of keys) {
    const spec = FLAGS[key];
    const flagValue = parsed.values[spec.name];
    if (flagValue !== undefined) {
      if (typeof flagValue !== "string" && typeof flagValue !== "boolean") continue;
      values.set(key, { value: flagValue, source: `--${spec.name}` });
      if ("secret" in spec && spec.secret === true) {
        warnings.push(
          `--${spec.name} on the command line can be read from the process list and shell history; set ${spec.env[0]} instead`,
        );
      }
      continue;
    }
    for (const variable of spec.env) {
      const text = env[variable];
      if (text === undefined || text.trim() === "") continue;
      values.set(key, {
        value: spec.type === "boolean" ? readBooleanVariable(variable, text) : text.trim(),
        source: variable,
      });
      break;
    }
  }

  const flagBoolean = (key: FlagKey): boolean => values.get(key)?.value === true;
  const common: CommonSettings = {
    json: flagBoolean("json"),
    verbose: flagBoolean("verbose"),
    warnings,
  };
  if (flagBoolean("help")) return { ...common, name: "help", text: commandHelp(name) };

  return buildCommand(name, values, parsed.positionals, common, cwd);
}

function readBooleanVariable(variable: string, text: string): boolean {
  const result = parseBoolean(text.trim());
  if ("reason" in result) {
    throw new UsageError(`Invalid ${variable} ${JSON.stringify(text)}: ${result.reason}`);
  }
  return result.value;
}
