/**
 * The job summary of a run, as Markdown: what was published where, each
 * skill's change, the object counts and whether the Worker was notified.
 * Pure functions build the text so tests can read it; `writeSummary` hands
 * it to the runner.
 */

import * as core from "@actions/core";
import { formatBytes, formatCount } from "../core/format.ts";
import { formatProblem, sortProblems } from "../core/validation.ts";
import type { PublishOutcome, PublishResult } from "../publisher/types.ts";

/** Escapes text for a Markdown table cell or list item. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/[|*_`[\]<>#]/g, (character) => `\\${character}`)
    .replace(/\r?\n/g, " ");
}

const HEADINGS: Record<PublishOutcome, string> = {
  published: "Skills published",
  republished: "Skills published again (version already in the bucket)",
  planned: "Skills publish plan (dry run, nothing written)",
  invalid: "Skills are invalid (nothing written)",
};

function code(text: string): string {
  return `\`${text.replace(/`/g, "")}\``;
}

/** Builds the summary of a publish result. */
export function summaryMarkdown(result: PublishResult): string {
  const lines: string[] = [`## ${HEADINGS[result.outcome]}`, ""];
  lines.push("| | |", "| --- | --- |");
  lines.push(`| Version | ${code(result.version)} |`);
  lines.push(`| Channel | ${code(result.channel)} |`);
  lines.push(`| Base | ${result.base === null ? noBase(result) : code(result.base)} |`);
  lines.push(`| Manifest | ${code(result.manifestKey)} |`);
  lines.push("");

  if (result.skillChanges.length > 0) {
    lines.push("| Skill | Change | Files | Size |", "| --- | --- | ---: | ---: |");
    for (const change of result.skillChanges) {
      lines.push(
        `| ${escapeMarkdown(change.name)} | ${change.status} | ${change.files} | ${formatBytes(change.bytes)} |`,
      );
    }
    lines.push("");
  }

  if (result.outcome !== "invalid") {
    const verb = result.outcome === "planned" ? "To upload" : "Uploaded";
    lines.push(
      `${verb}: ${result.uploaded} files (${formatBytes(result.bytesUploaded)}). ` +
        `Copied from the base: ${result.copied}. Removed since the base: ${result.removed}.`,
      "",
    );
    lines.push(notificationLine(result), "");
  }

  const problems = sortProblems(result.problems);
  if (problems.length > 0) {
    const errors = problems.filter((problem) => problem.severity === "error").length;
    lines.push(
      `### Validation problems: ${formatCount(errors, "error")}, ${formatCount(problems.length - errors, "warning")}`,
      "",
    );
    for (const problem of problems) lines.push(`- ${escapeMarkdown(formatProblem(problem))}`);
    lines.push("");
  }
  return lines.join("\n");
}

function noBase(result: PublishResult): string {
  return result.outcome === "planned"
    ? "none (every file would be uploaded)"
    : "none (every file uploaded)";
}

function notificationLine(result: PublishResult): string {
  if (result.notified) {
    const decision = result.decision;
    if (decision === undefined) return "The Worker was notified.";
    if (decision.current) {
      return `The Worker was notified, and this version is current on channel \`${result.channel}\`.`;
    }
    return `The Worker was notified but kept channel \`${result.channel}\` where it is: ${escapeMarkdown(decision.reason)}.`;
  }
  const reason = result.notifySkipped ?? "no webhook is configured";
  return `The Worker was not notified: ${escapeMarkdown(reason)}.`;
}

/** Builds the summary of a push that deleted a branch. */
export function branchDeletedMarkdown(ref: string): string {
  return [
    "## Nothing published",
    "",
    `The push deleted ${code(ref || "a branch")}, so there are no files to publish.`,
    "",
  ].join("\n");
}

/** Builds the summary of a run that failed before it had a result. */
export function failureMarkdown(message: string): string {
  return ["## Skills publish failed", "", escapeMarkdown(message), ""].join("\n");
}

let summaryWritten = false;

/** Appends Markdown to the job summary; does nothing outside a runner. */
export async function writeSummary(markdown: string): Promise<void> {
  if ((process.env.GITHUB_STEP_SUMMARY ?? "") === "") return;
  await core.summary.addRaw(markdown, true).write();
  summaryWritten = true;
}

/**
 * Writes the failure summary unless the run already wrote one (invalid
 * skills list their problems). A failure to write is logged, not thrown,
 * because the run has failed already.
 */
export async function writeFailureSummary(message: string): Promise<void> {
  if (summaryWritten) return;
  try {
    await writeSummary(failureMarkdown(message));
  } catch (error: unknown) {
    core.warning(
      `Failed to write the job summary: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
