/** The result of a command: its exit status and its output in both forms. */
export interface CommandResult {
  exitCode: 0 | 1;
  /** The one object printed with --json. */
  json: Record<string, unknown>;
  /** The text printed on stdout without --json. */
  text: string;
}
