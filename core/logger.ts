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
