/**
 * The publisher's `Logger` over `@actions/core`: each phase is a collapsible
 * log group, debug lines show only when the run has debug logging on, and
 * warnings and errors become annotations.
 */

import * as core from "@actions/core";
import type { Logger } from "../core/logger.ts";
import type { PublishSettings } from "../publisher/types.ts";

/** The publisher's log group that reports validation problems. */
const VALIDATE_PHASE = "validate";

function withFields(message: string, fields: Record<string, unknown> | undefined): string {
  if (fields === undefined || Object.keys(fields).length === 0) return message;
  return `${message} ${JSON.stringify(fields)}`;
}

/**
 * Returns the Action's logger. Inside the publisher's "validate" phase,
 * errors and warnings are plain log lines: they are the validation problems,
 * which `main.ts` annotates afterwards with their file and line.
 */
export function createActionLogger(): Logger {
  let inValidation = false;
  return {
    debug: (message, fields) => core.debug(withFields(message, fields)),
    info: (message, fields) => core.info(withFields(message, fields)),
    warn: (message, fields) => {
      if (inValidation) core.info(`Warning: ${withFields(message, fields)}`);
      else core.warning(withFields(message, fields));
    },
    error: (message, fields) => {
      if (inValidation) core.info(`Error: ${withFields(message, fields)}`);
      else core.error(withFields(message, fields));
    },
    group: (name, work) =>
      core.group(name, async () => {
        inValidation = name === VALIDATE_PHASE;
        try {
          return await work();
        } finally {
          inValidation = false;
        }
      }),
  };
}

/** Logs the resolved settings at debug level, without credentials or secrets. */
export function debugSettings(settings: PublishSettings): void {
  const { store, notify, source } = settings;
  core.debug(
    `Resolved settings ${JSON.stringify({
      repositoryRoot: source.repositoryRoot,
      skillsPath: source.skillsPath,
      mode: source.mode,
      repository: source.repository,
      ref: source.ref,
      run: source.run,
      channel: settings.channel,
      validation: settings.validation,
      dryRun: settings.dryRun,
      store:
        store === undefined
          ? null
          : {
              bucket: store.bucket,
              endpoint: store.endpoint,
              region: store.region,
              prefix: store.prefix,
              concurrency: store.concurrency,
              forcePathStyle: store.forcePathStyle,
            },
      webhookUrl: notify?.url ?? null,
    })}`,
  );
}
