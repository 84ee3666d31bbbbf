/**
 * `r2-skills status [channel]` and `r2-skills rollback <channel> <version>`:
 * read and change the Worker's channels through its management API. The
 * text form prints the fields it recognizes and skips the rest, so a Worker that
 * adds fields still prints; --json prints the Worker's response as it is.
 */

import type { Logger } from "../../core/logger.ts";
import type { CliCommand } from "../command.ts";
import { callWorker } from "../worker-api.ts";
import type { CommandResult } from "./result.ts";

type StatusCommand = Extract<CliCommand, { name: "status" }>;
type RollbackCommand = Extract<CliCommand, { name: "rollback" }>;

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function field(record: Fields, key: string): string {
  const value = record[key];
  if (value === null || value === undefined) return "-";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Formats the cause of a change with its reason, when there is one: `rollback: bad prompt`. */
function causeText(record: Fields): string {
  const reason = field(record, "reason");
  return `${field(record, "cause")}${reason === "-" || reason === "" ? "" : `: ${reason}`}`;
}

/**
 * Formats rows as lines of columns two spaces apart, each column as wide as
 * its widest cell. The last column is not padded, so lines end without spaces.
 */
export function formatColumns(rows: string[][], indent = ""): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
        )
        .join("  "),
  );
}

function listOf(body: unknown, key: string): unknown[] {
  if (Array.isArray(body)) return body;
  if (isFields(body) && Array.isArray(body[key])) return body[key];
  return [];
}

export async function runStatus(command: StatusCommand, logger: Logger): Promise<CommandResult> {
  if (command.channel === undefined) {
    logger.debug("Listing channels", { worker: command.worker.url });
    const body = await callWorker(command.worker, "GET", "/channels");
    const channels = listOf(body, "channels").filter(isFields);
    const lines =
      channels.length === 0
        ? ["No channels yet: publish a version first"]
        : formatColumns([
            ["channel", "version", "changed", "cause: reason"],
            ...channels.map((record) => [
              field(record, "channel"),
              field(record, "version"),
              field(record, "changedAt"),
              causeText(record),
            ]),
          ]);
    return {
      exitCode: 0,
      json: isFields(body) ? body : { channels: body },
      text: `${lines.join("\n")}\n`,
    };
  }
  const path = `/channels/${encodeURIComponent(command.channel)}`;
  logger.debug("Reading channel", { worker: command.worker.url, channel: command.channel });
  const body = await callWorker(command.worker, "GET", path);
  const record =
    isFields(body) && isFields(body.channel) ? body.channel : isFields(body) ? body : {};
  const history = listOf(
    isFields(body) && Array.isArray(body.history) ? body.history : record.history,
    "history",
  ).filter(isFields);
  const lines = [
    `channel: ${command.channel}`,
    `version: ${field(record, "version")}`,
    `changed: ${field(record, "changedAt")} (${field(record, "cause")})${field(record, "reason") === "-" ? "" : `: ${field(record, "reason")}`}`,
  ];
  if (history.length > 0) {
    lines.push("history, newest first:");
    const rows = history.map((change) => [
      field(change, "changedAt"),
      field(change, "version"),
      causeText(change),
    ]);
    lines.push(...formatColumns(rows, "  "));
  }
  return {
    exitCode: 0,
    json: isFields(body) ? body : { channel: body },
    text: `${lines.join("\n")}\n`,
  };
}

export async function runRollback(
  command: RollbackCommand,
  logger: Logger,
): Promise<CommandResult> {
  const path = `/channels/${encodeURIComponent(command.channel)}/rollback`;
  logger.info(`Pointing channel ${command.channel} at ${command.version}`);
  const body = await callWorker(command.worker, "POST", path, {
    version: command.version,
    reason: command.reason,
  });
  const previous = isFields(body) && typeof body.previous === "string" ? body.previous : null;
  const text =
    previous === command.version
      ? `Channel ${command.channel} already served ${command.version}; the rollback is recorded in its history\n`
      : `Channel ${command.channel} now serves ${command.version}${previous === null ? "" : ` (was ${previous})`}; new sessions mount it\n`;
  return { exitCode: 0, json: isFields(body) ? body : { result: body }, text };
}
