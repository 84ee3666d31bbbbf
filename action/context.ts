/**
 * The GitHub Actions run context as plain data: the event, its payload and
 * the `GITHUB_*` variables the runner sets. `readGitHubContext` is the only
 * reader of those variables, so tests pass a context in directly.
 */

import { readFileSync } from "node:fs";
import { ZERO_SHA_PATTERN } from "../core/ids.ts";

export interface GitHubContext {
  eventName: string;
  /** The webhook payload of the event; `{}` when the runner gave none. */
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  /** `owner/name`. */
  repository: string;
  runId: string;
  runAttempt: number;
  serverUrl: string;
  /** Absolute path of the checked-out repository. */
  workspace: string;
}

/** Reads the context from the runner's environment and the event payload file. */
export function readGitHubContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const eventPath = env.GITHUB_EVENT_PATH ?? "";
  let payload: Record<string, unknown> = {};
  if (eventPath !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(eventPath, "utf8"));
    } catch (error: unknown) {
      throw new Error(
        `Failed to read the event payload from GITHUB_EVENT_PATH ${JSON.stringify(eventPath)}: the runner sets this file; check that the action runs in a GitHub Actions job`,
        { cause: error },
      );
    }
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      payload = parsed as Record<string, unknown>;
    }
  }
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? "1");
  return {
    eventName: env.GITHUB_EVENT_NAME ?? "",
    payload,
    sha: env.GITHUB_SHA ?? "",
    ref: env.GITHUB_REF ?? "",
    repository: env.GITHUB_REPOSITORY ?? "",
    runId: env.GITHUB_RUN_ID ?? "",
    runAttempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1,
    serverUrl: (env.GITHUB_SERVER_URL ?? "https://github.com").replace(/\/+$/, ""),
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
  };
}

export type EventKind =
  | { kind: "publish" }
  | { kind: "branch-deleted" }
  | { kind: "pull-request" }
  | { kind: "unsupported" };

/** Decides what a run does for its event. */
export function classifyEvent(context: GitHubContext): EventKind {
  switch (context.eventName) {
    case "push": {
      const after = context.payload.after;
      if (
        context.payload.deleted === true ||
        (typeof after === "string" && ZERO_SHA_PATTERN.test(after))
      ) {
        return { kind: "branch-deleted" };
      }
      return { kind: "publish" };
    }
    case "workflow_dispatch":
      return { kind: "publish" };
    case "pull_request":
    case "pull_request_target":
      return { kind: "pull-request" };
    default:
      return { kind: "unsupported" };
  }
}

export const SUPPORTED_EVENTS = [
  "push",
  "workflow_dispatch",
  "pull_request",
  "pull_request_target",
];
