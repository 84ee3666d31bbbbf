/** The text form of a publish result on stdout. */

import { formatBytes, formatCount } from "../core/format.ts";
import { formatProblem } from "../core/validation.ts";
import type { PublishResult } from "../publisher/types.ts";

const VERBS: Record<PublishResult["outcome"], string> = {
  published: "Published",
  republished: "Published again (the version was already in the bucket)",
  planned: "Dry run, nothing written. Planned",
  invalid: "Invalid skills, nothing written. Version would be",
};

/** Describes the base; "every file uploaded" only when files were uploaded at all. */
function baseText(result: PublishResult): string {
  if (result.base !== null) return result.base;
  if (result.uploaded === 0 && result.copied === 0) return "none";
  return result.outcome === "planned"
    ? "none (every file would be uploaded)"
    : "none (every file uploaded)";
}

function notificationLine(result: PublishResult): string {
  if (!result.notified) {
    return `Worker not notified: ${result.notifySkipped ?? "no webhook is configured"}`;
  }
  const decision = result.decision;
  if (decision === undefined) return "Worker notified";
  if (decision.current) return `Worker notified: current on channel ${result.channel}`;
  return [
    `Worker notified, channel ${result.channel} not moved: ${decision.reason}`,
    `To serve this version anyway, run: r2-skills rollback ${result.channel} ${result.version}`,
  ].join("\n");
}

export function resultText(result: PublishResult): string {
  const lines = [
    `${VERBS[result.outcome]} ${result.version} on channel ${result.channel}`,
    `base: ${baseText(result)}`,
  ];
  if (result.skillChanges.length > 0) {
    const width = Math.max(5, ...result.skillChanges.map((change) => change.name.length));
    lines.push(`${"skill".padEnd(width)}  change     files  size`);
    for (const change of result.skillChanges) {
      lines.push(
        `${change.name.padEnd(width)}  ${change.status.padEnd(9)}  ${String(change.files).padStart(5)}  ${formatBytes(change.bytes)}`,
      );
    }
  }
  if (result.outcome !== "invalid") {
    const verb = result.outcome === "planned" ? "to upload" : "uploaded";
    lines.push(
      `${verb}: ${formatCount(result.uploaded, "file")} (${formatBytes(result.bytesUploaded)}${result.outcome === "planned" ? "" : " sent, manifest and head included"}), copied: ${result.copied}, removed: ${result.removed}`,
    );
    lines.push(notificationLine(result));
  }
  for (const problem of result.problems) lines.push(formatProblem(problem));
  return `${lines.join("\n")}\n`;
}
