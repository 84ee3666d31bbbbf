/**
 * `npm start`: runs the local stack, publishes the skills folder, opens a
 * session and shows what it sees, then republishes on every change until
 * Ctrl-C. `--once` does one round and exits; `--json` prints that round as
 * one JSON object on stdout, which is all of stdout under `npm start --silent`.
 */

import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../core/logger.ts";
import type { PublishResult } from "../publisher/types.ts";
import { parseStartOptions, type StartOptions, USAGE, UsageError } from "./config.ts";
import { createStderrLogger } from "./log.ts";
import { type OpenedSession, type Stack, StartAbortedError, startStack } from "./stack.ts";
import { formatSkills, listFiles, readMountedSkills } from "./tree.ts";
import { type TreeWatcher, watchTree } from "./watch.ts";

/** Signals this soon after the first one count as the same request, in milliseconds. */
const REPEAT_SIGNAL_WINDOW_MS = 1000;

/** The `--once --json` result. */
export interface OnceResult {
  version: string;
  channel: string;
  sessionId: string;
  mode: "s3fs" | "copy";
  mountPath: string;
  files: string[];
}

function describeChanges(result: PublishResult): string {
  const changed = result.skillChanges.filter((change) => change.status !== "unchanged");
  const skills =
    changed.length === 0
      ? "no skill changed"
      : changed.map((change) => `${change.name} ${change.status}`).join(", ");
  return `${skills}; ${result.uploaded} file(s) uploaded, ${result.copied} copied, ${result.removed} removed`;
}

/** Names a publish round's version and whether its files were already in the bucket. */
function describePublish(result: PublishResult): string {
  return result.outcome === "republished"
    ? `Republished version ${result.version} (its files were already in the bucket)`
    : `Published version ${result.version}`;
}

async function showSession(session: OpenedSession, result: PublishResult): Promise<void> {
  const skills = await readMountedSkills(session.mountPath);
  const lines = [
    "",
    `Version ${session.version} is current on channel ${session.channel ?? result.channel}`,
    `Session ${session.sessionId} sees it through ${session.mode === "s3fs" ? "an s3fs mount" : "a read-only copy"} at`,
    `  ${session.mountPath}`,
    formatSkills(skills),
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Resolves when SIGINT or SIGTERM arrives; a second signal a second later exits at once. */
function waitForSignal(logger: Logger): {
  promise: Promise<NodeJS.Signals>;
  received: () => boolean;
} {
  let received = false;
  let firstAt = 0;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => {};
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    resolveSignal = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      // npm and tsx pass Ctrl-C on to this process, which the terminal has
      // already signalled, so one Ctrl-C can arrive twice within moments.
      if (Date.now() - firstAt < REPEAT_SIGNAL_WINDOW_MS) return;
      logger.error(
        `Received ${signal} again: exiting without cleanup; unmount leftovers with: fusermount -u <path>`,
      );
      process.exit(130);
    }
    received = true;
    firstAt = Date.now();
    logger.info(`Received ${signal}: stopping`);
    resolveSignal(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { promise, received: () => received };
}

/** Republishes after changes under the skills folder, one round at a time. */
async function watchSkills(
  options: StartOptions,
  stack: Stack,
  first: { session: OpenedSession },
  logger: Logger,
): Promise<TreeWatcher> {
  const folder = join(options.repositoryRoot, options.skillsPath);
  let running = false;
  let pending = false;

  const round = async (): Promise<void> => {
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      const result = await stack.publish();
      process.stdout.write(`${describePublish(result)}: ${describeChanges(result)}\n`);
      const firstVersion = stack.host.sessions.status(first.session.sessionId)?.mount?.version;
      process.stdout.write(
        `New sessions get version ${result.version}; session ${first.session.sessionId} keeps version ${firstVersion ?? "(none)"}\n`,
      );
    } catch (error: unknown) {
      logger.error(error instanceof Error ? error.message : String(error));
      logger.info("Still watching: save again after fixing it");
    } finally {
      running = false;
      if (pending) {
        pending = false;
        void round();
      }
    }
  };

  const watcher = watchTree(folder, {
    // The state folder contains the bucket and the session mounts, which change on every round.
    ignore: [options.stateDir],
    onChange: (paths) => {
      logger.debug("Changed", { paths });
      return round();
    },
    onError: (error) => logger.error(`Watching ${folder} failed: ${error.message}`),
  });
  // A save before the first scan ends would be missed, so log "Watching" only after it.
  await watcher.ready;
  logger.info(`Watching ${folder} for changes; press Ctrl-C to stop`);
  return watcher;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  let options: StartOptions | undefined;
  try {
    options = parseStartOptions(argv, process.cwd());
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const skillsFolder = join(options.repositoryRoot, options.skillsPath);
  if (!(await isDirectory(skillsFolder))) {
    process.stderr.write(
      `error: The skills folder ${JSON.stringify(options.skillsPath)} was not found in ${options.repositoryRoot}; create it with a skill folder containing a SKILL.md, or pass --skills PATH\n`,
    );
    return 2;
  }
  const logger = createStderrLogger("r2-skills", { verbose: options.verbose });
  const signal = waitForSignal(logger);
  const abortStart = new AbortController();
  void signal.promise.then(() => abortStart.abort());
  let stack: Stack | undefined;
  let watcher: TreeWatcher | undefined;
  let exitCode = 0;
  /** Whether the first round printed its result; a signal before that makes `--once` fail. */
  let resultPrinted = false;
  try {
    stack = await startStack({ ...options, logger, signal: abortStart.signal });
    if (!signal.received()) {
      const result = await stack.publish();
      logger.info(`${describePublish(result)}: ${describeChanges(result)}`);
      const session = await stack.openSession();
      if (options.json) {
        const output: OnceResult = {
          version: session.version,
          channel: result.channel,
          sessionId: session.sessionId,
          mode: session.mode,
          mountPath: session.mountPath,
          files: await listFiles(session.mountPath),
        };
        process.stdout.write(`${JSON.stringify(output)}\n`);
      } else {
        await showSession(session, result);
      }
      resultPrinted = true;
      if (!options.once) {
        watcher = await watchSkills(options, stack, { session }, logger);
        await signal.promise;
      }
    }
  } catch (error: unknown) {
    if (error instanceof StartAbortedError) {
      // startStack has already stopped what it had started.
      logger.info(`${error.message}; stopped`);
    } else if (signal.received()) {
      // Ctrl-C also reaches s3fs and workerd, so a step in flight fails with it.
      logger.info(
        `Stopped while a step was running: ${error instanceof Error ? error.message : String(error)}`,
      );
    } else {
      logger.error(error instanceof Error ? error.message : String(error));
      exitCode = 1;
    }
  } finally {
    await watcher?.close();
    if (stack !== undefined) {
      logger.info("Stopping the Worker, unmounting sessions and stopping the bucket…");
      try {
        await stack.stop();
        logger.info("Stopped");
      } catch (error: unknown) {
        logger.error(error instanceof Error ? error.message : String(error));
        exitCode = 1;
      }
    }
  }
  // 128 + SIGINT, as a shell reports it: a script reading --once --json output
  // must not mistake an interrupted run for one that printed its result.
  if (exitCode === 0 && !resultPrinted && signal.received()) exitCode = 130;
  return exitCode;
}

process.exit(await main(process.argv.slice(2)));
