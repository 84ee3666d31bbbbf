/**
 * The publisher's `Logger` over `@actions/core`: each phase is a collapsible
 * log group, debug lines show only when the run has debug logging on, and
 * warnings and errors become annotations.
 */

import * as core from "@actions/core";
import type { Logger } from "../core/logger.ts";
import type { PublishSettings } from "../publisher/types.ts";

function withFields(message: string, fields: Record<string, unknown> | undefined): string {
  if (fields === undefined || Object.keys(fields).length === 0) return message;
  return `${message} ${JSON.stringify(fields)}`;
}

export const actionLogger: Logger = {
  debug: (message, fields) => core.debug(withFields(message, fields)),
  info: (message, fields) => core.info(withFields(message, fields)),
  warn: (message, fields) => core.warning(withFields(message, fields)),
  error: (message, fields) => core.error(withFields(message, fields)),
  group: (name, work) => core.group(name, work),
};

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
