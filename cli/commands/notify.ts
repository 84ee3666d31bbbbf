/** `r2-skills notify <version>`: sends the notification of a published version again. */

import type { Logger } from "../../core/logger.ts";
import { notifyVersion } from "../../publisher/notify.ts";
import type { CliCommand } from "../command.ts";
import type { CommandResult } from "./result.ts";

type NotifyCommand = Extract<CliCommand, { name: "notify" }>;

export async function runNotify(command: NotifyCommand, logger: Logger): Promise<CommandResult> {
  const response = await logger.group("notify", () =>
    notifyVersion(
      {
        store: command.store,
        notify: command.notify,
        channel: command.channel,
        version: command.version,
        ref: command.ref,
      },
      logger,
    ),
  );
  let reply: unknown = response.body;
  try {
    reply = JSON.parse(response.body);
  } catch {
    // A reply that is not JSON is kept as text.
  }
  return {
    exitCode: 0,
    json: {
      ok: true,
      version: command.version,
      channel: command.channel,
      status: response.status,
      notification: response.data,
      reply,
    },
    text: `Notified the Worker of ${command.version} on channel ${command.channel} (${response.status}): ${response.body.slice(0, 500)}\n`,
  };
}
