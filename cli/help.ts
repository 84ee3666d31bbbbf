/** Help text, generated from the flag and command tables so it cannot drift from them. */

import { COMMANDS, type CommandName, FLAGS } from "./flags.ts";

export function generalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
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
    "Every flag can also be set with its environment variable; a flag wins over the",
    "environment. Pass secrets through the environment, never as flags.",
    "",
  );
  return lines.join("\n");
}

export function commandHelp(name: CommandName): string {
  const spec = COMMANDS[name];
  const rows = spec.flags.map((key) => {
    const flag = FLAGS[key];
    const left = `--${flag.name}${"value" in flag ? ` ${flag.value}` : ""}`;
    const env = flag.env.length > 0 ? ` [${flag.env.join(", ")}]` : "";
    return { left, right: `${flag.help}${env}` };
  });
  const width = Math.max(...rows.map((row) => row.left.length));
  return [
    `Usage: ${spec.usage}`,
    "",
    spec.summary,
    "",
    ...spec.details,
    "",
    "Flags [environment variables]:",
    ...rows.map((row) => `  ${row.left.padEnd(width)}  ${row.right}`),
    "",
  ].join("\n");
}
