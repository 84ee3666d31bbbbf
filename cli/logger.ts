/**
 * The publisher's `Logger` for the CLI: every line goes to stderr, so stdout
 * carries only the result (one JSON object with --json). Debug lines show
 * only with --verbose.
 */

import type { Logger } from "../core/logger.ts";

export interface StderrLoggerOptions {
  verbose: boolean;
  write?: (line: string) => void;
}

function withFields(message: string, fields: Record<string, unknown> | undefined): string {
  if (fields === undefined || Object.keys(fields).length === 0) return message;
  return `${message} ${JSON.stringify(fields)}`;
}

export function stderrLogger(options: StderrLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    debug: (message, fields) => {
      if (options.verbose) write(`debug: ${withFields(message, fields)}`);
    },
    info: (message, fields) => write(withFields(message, fields)),
    warn: (message, fields) => write(`warning: ${withFields(message, fields)}`),
    error: (message, fields) => write(`error: ${withFields(message, fields)}`),
    group: async (name, work) => {
      write(`== ${name}`);
      return work();
    },
  };
}
