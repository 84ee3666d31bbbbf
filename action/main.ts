/**
 * The Action's entry point. `push` and `workflow_dispatch` publish, but a
 * push that deletes a branch publishes nothing. `pull_request` and
 * `pull_request_target` validate and plan without writing. A fork's pull
 * request gets no secrets, so it plans against no base. Every failure
 * reaches the one `core.setFailed` at the bottom.
 */

import * as core from "@actions/core";
import { formatCount } from "../core/format.ts";
import type { Problem } from "../core/validation.ts";
import { headSha } from "../publisher/git.ts";
import { PublishError, publish } from "../publisher/publish.ts";
import type { PublishResult } from "../publisher/types.ts";
import {
  classifyEvent,
  type GitHubContext,
  readGitHubContext,
  SUPPORTED_EVENTS,
} from "./context.ts";
import { createActionLogger, debugSettings } from "./logger.ts";
import { readRunnerSettings } from "./settings.ts";
import {
  branchDeletedMarkdown,
  summaryMarkdown,
  writeFailureSummary,
  writeSummary,
} from "./summary.ts";

/**
 * Annotates a problem on its file and line. The run's page may show only
 * the first few annotations of a step, so the job summary lists every problem.
 */
function annotate(problem: Problem): void {
  const properties: core.AnnotationProperties = { title: "Invalid skill", file: problem.file };
  if (problem.line > 0) properties.startLine = problem.line;
  if (problem.severity === "error") core.error(problem.message, properties);
  else core.warning(problem.message, { ...properties, title: "Skill warning" });
}

function setOutputs(result: PublishResult): void {
  core.setOutput("version", result.version);
  core.setOutput("manifest-key", result.manifestKey);
  core.setOutput("uploaded", result.uploaded);
  core.setOutput("copied", result.copied);
  core.setOutput("removed", result.removed);
  core.setOutput("skills", JSON.stringify(result.skills));
  core.setOutput("changed-skills", JSON.stringify(result.changedSkills));
  core.setOutput("notified", result.notified);
  core.setOutput("current", result.decision === undefined ? "" : result.decision.current);
  core.setOutput("outcome", result.outcome);
}

async function skipDeletedBranch(context: GitHubContext): Promise<void> {
  core.info(`The push deleted ${context.ref || "a branch"}: nothing to publish`);
  core.setOutput("skills", "[]");
  core.setOutput("changed-skills", "[]");
  core.setOutput("notified", false);
  core.setOutput("current", "");
  core.setOutput("outcome", "skipped");
  await writeSummary(branchDeletedMarkdown(context.ref));
}

/**
 * Warns when the checked-out commit is not the one that triggered the run,
 * because the version published is always the checked-out HEAD.
 */
async function checkCheckout(context: GitHubContext): Promise<void> {
  if (context.sha === "") return;
  const head = await headSha(context.workspace);
  if (head !== null && head !== context.sha) {
    core.warning(
      `The checked-out HEAD ${head} is not the commit that triggered the run (${context.sha}); publishing HEAD. Check the ref given to actions/checkout`,
    );
  }
}

async function run(): Promise<void> {
  const context = readGitHubContext();
  const event = classifyEvent(context);

  if (event.kind === "unsupported") {
    throw new Error(
      `The event ${JSON.stringify(context.eventName)} is not supported: run this action on ${SUPPORTED_EVENTS.join(", ")}`,
    );
  }
  if (event.kind === "branch-deleted") {
    await skipDeletedBranch(context);
    return;
  }

  const pullRequest = event.kind === "pull-request";
  const settings = readRunnerSettings(context, { pullRequest });
  debugSettings(settings);
  if (!pullRequest) await checkCheckout(context);
  if (pullRequest) {
    core.info(
      settings.store === undefined
        ? "Pull request without bucket credentials (a fork's run gets no secrets): validating and planning against no base"
        : "Pull request: validating and planning against the channel's head; nothing is written",
    );
  }

  const result = await publish(settings, createActionLogger());
  for (const problem of result.problems) annotate(problem);
  if (result.decision?.current === false) {
    core.warning(
      `The Worker kept channel ${result.channel} where it is: ${result.decision.reason}. To serve version ${result.version} anyway, run: r2-skills rollback ${result.channel} ${result.version}`,
      { title: "Channel not moved" },
    );
  }
  setOutputs(result);
  await writeSummary(summaryMarkdown(result));

  if (result.outcome === "invalid") {
    const errors = result.problems.filter((problem) => problem.severity === "error").length;
    throw new Error(
      `The skills have ${formatCount(errors, "validation error")}, annotated on their files; nothing was published`,
    );
  }
  core.info(
    result.outcome === "planned"
      ? `Dry run: version ${result.version} planned for channel ${result.channel}, nothing written`
      : `Published version ${result.version} to channel ${result.channel}`,
  );
}

try {
  await run();
} catch (error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  // A version published without its notification still gets its outputs,
  // so a later `if: failure()` step can resend it.
  if (error instanceof PublishError && error.result !== undefined) setOutputs(error.result);
  core.setFailed(message);
  await writeFailureSummary(message);
}
