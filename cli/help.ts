/** Help text, generated from the flag and command tables so it cannot drift from them. */

import { COMMANDS, type CommandName, FLAGS } from "./flags.ts";

/** Widest help line before the environment variables wrap, in columns. */
const HELP_WIDTH = 100;

/** Joins names as prose: `a`, `a and b`, `a, b and c`. */
function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

export function generalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const withoutVariable = Object.values(FLAGS)
    .filter((flag) => flag.env.length === 0)
    .map((flag) => `--${flag.name}`);
  const lines = [
    "r2-skills: publish Agent Skills from git to an S3-compatible bucket (such as R2)",
    "as immutable versions, and manage the channels of the Worker that mounts them.",
    "",
    "Usage: r2-skills <command> [arguments] [flags]",
    "",
    "Commands:",
  ];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(width)}  ${spec.summary}`);
  }
  lines.push(
    "",
    'Run "r2-skills <command> --help" for the flags of a command.',
    "A flag can also be set with the environment variable that the command's help",
    `shows in brackets after it; ${joinNames(withoutVariable)} have none.`,
    "A flag wins over the environment. Pass secrets through the environment, never",
    "as flags.",
    "",
  );
  return lines.join("\n");
}

export function commandHelp(name: CommandName): string {
  const spec = COMMANDS[name];
  const rows = spec.flags.map((key) => {
    const flag = FLAGS[key];
    const left = `--${flag.name}${"value" in flag ? ` ${flag.value}` : ""}`;
    const env = flag.env.length > 0 ? `[${flag.env.join(", ")}]` : "";
    return { left, help: flag.help, env };
  });
  const width = Math.max(...rows.map((row) => row.left.length));
  const lines: string[] = [];
  for (const row of rows) {
    const line = `  ${row.left.padEnd(width)}  ${row.help}`;
    if (row.env === "") {
      lines.push(line);
    } else if (line.length + 1 + row.env.length <= HELP_WIDTH) {
      lines.push(`${line} ${row.env}`);
    } else {
      // Too wide for one line: the variables go on the next, under the help.
      lines.push(line, `  ${" ".repeat(width)}  ${row.env}`);
    }
  }
  return [
    `Usage: ${spec.usage}`,
    "",
    spec.summary,
    "",
    ...spec.details,
    "",
    "Flags [environment variables]:",
    ...lines,
    "",
  ].join("\n");
}
