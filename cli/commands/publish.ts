/** `r2-skills publish`: publishes the working tree (or HEAD with --from-commit). */

import type { Logger } from "../../core/logger.ts";
import { publish } from "../../publisher/publish.ts";
import type { PublishSettings } from "../../publisher/types.ts";
import type { CliCommand } from "../command.ts";
import { resultText } from "../render.ts";
import { findRepository } from "../repository.ts";
import type { CommandResult } from "./result.ts";

type PublishCommand = Extract<CliCommand, { name: "publish" }>;

export async function runPublish(command: PublishCommand, logger: Logger): Promise<CommandResult> {
  const repository = await findRepository(command.skillsFolder);
  const settings: PublishSettings = {
    source: {
      repositoryRoot: repository.root,
      skillsPath: repository.skillsPath,
      mode: command.fromCommit ? "commit" : "working-tree",
      repository: command.repository ?? repository.repository,
      ref: command.ref ?? repository.ref,
      run: null,
    },
    store: command.store,
    channel: command.channel,
    validation: command.validation,
    dryRun: command.dryRun,
    notify: command.notify,
  };
  logger.debug("Resolved settings", {
    ...settings.source,
    channel: settings.channel,
    validation: settings.validation,
    dryRun: settings.dryRun,
    bucket: settings.store?.bucket ?? null,
    endpoint: settings.store?.endpoint ?? null,
    prefix: settings.store?.prefix ?? null,
    concurrency: settings.store?.concurrency ?? null,
    webhookUrl: settings.notify?.url ?? null,
  });
  if (settings.dryRun && settings.store === undefined) {
    logger.info("No bucket credentials: planning against no base version");
  }
  const result = await publish(settings, logger);
  return {
    exitCode: result.outcome === "invalid" ? 1 : 0,
    json: { ok: result.outcome !== "invalid", ...result },
    text: resultText(result),
  };
}
