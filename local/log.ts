/**
 * The local stack's `Logger`: one line per message on stderr, so stdout
 * stays free for `--json`. Each line starts with the component's name.
 */

import type { Logger } from "../core/logger.ts";

export interface StderrLoggerOptions {
  /** Shows debug lines too. */
  verbose?: boolean;
  /** The function that writes each line; the default writes to `process.stderr`. */
  write?: (line: string) => void;
}

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (fields === undefined) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    parts.push(`${key}=${text}`);
  }
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/** Creates a logger whose lines read `[component] message (key=value, …)`. */
export function createStderrLogger(component: string, options: StderrLoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: string, message: string, fields?: Record<string, unknown>): void => {
    const marker = level === "info" ? "" : `${level}: `;
    write(`[${component}] ${marker}${message}${formatFields(fields)}`);
  };
  return {
    debug: (message, fields) => {
      if (options.verbose) emit("debug", message, fields);
    },
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warning", message, fields),
    error: (message, fields) => emit("error", message, fields),
    group: async (name, work) => {
      write(`[${component}] ${name}`);
      return await work();
    },
  };
}
