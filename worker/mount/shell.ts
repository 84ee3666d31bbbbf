/** Quoting for the shell commands that copy mode sends to a sandbox. */

/** Quotes one argument for a POSIX shell: single quotes, each `'` written as `'\''`. */
export function shellQuote(argument: string): string {
  return `'${argument.replaceAll("'", "'\\''")}'`;
}

/** Joins a program and its arguments, each argument quoted. */
export function shellCommand(program: string, args: string[]): string {
  return [program, ...args.map(shellQuote)].join(" ");
}

/** Splits arguments into chunks so no single command line grows without bound. */
export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}
