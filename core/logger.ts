/**
 * The logger every adapter passes in: the Action maps it to `@actions/core`,
 * the CLI to stderr, the Worker to structured console lines.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Runs `work` as one named phase (a log group in the Action). */
  group<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/** A logger that drops everything, for callers that want no output. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  group: (_name, work) => work(),
};

/** A logger that keeps its lines until `replay` writes them to another logger. */
export interface BufferedLogger extends Logger {
  /** Writes the buffered lines to `target` in order and empties the buffer. */
  replay(target: Logger): void;
}

type Level = "debug" | "info" | "warn" | "error";

/**
 * Returns a logger that keeps lines instead of writing them, for work that
 * runs ahead of the phase whose log group should show its lines.
 */
export function createBufferedLogger(): BufferedLogger {
  let lines: { level: Level; message: string; fields?: Record<string, unknown> }[] = [];
  const keep =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  return {
    debug: keep("debug"),
    info: keep("info"),
    warn: keep("warn"),
    error: keep("error"),
    group: (_name, work) => work(),
    replay(target) {
      const pending = lines;
      lines = [];
      for (const line of pending) {
        if (line.fields === undefined) target[line.level](line.message);
        else target[line.level](line.message, line.fields);
      }
    },
  };
}
