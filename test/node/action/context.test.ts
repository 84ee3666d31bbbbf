import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readGitHubContext } from "../../../action/context.ts";

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "r2-skills-context-"));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("readGitHubContext", () => {
  it("reads variables and payload", async () => {
    const eventPath = join(folder, "event.json");
    await writeFile(eventPath, JSON.stringify({ after: "a".repeat(40), deleted: false }));
    const context = readGitHubContext({
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_SHA: "a".repeat(40),
      GITHUB_REF: "refs/heads/main",
      GITHUB_REPOSITORY: "octo/skills",
      GITHUB_RUN_ID: "99",
      GITHUB_RUN_ATTEMPT: "3",
      GITHUB_SERVER_URL: "https://ghe.example.com/",
      GITHUB_WORKSPACE: "/srv/repo",
    });
    expect(context).toEqual({
      eventName: "push",
      payload: { after: "a".repeat(40), deleted: false },
      sha: "a".repeat(40),
      ref: "refs/heads/main",
      repository: "octo/skills",
      runId: "99",
      runAttempt: 3,
      serverUrl: "https://ghe.example.com",
      workspace: "/srv/repo",
    });
  });

  it("missing payload is empty", () => {
    const context = readGitHubContext({ GITHUB_EVENT_NAME: "workflow_dispatch" });
    expect(context.payload).toEqual({});
    expect(context.runAttempt).toBe(1);
    expect(context.serverUrl).toBe("https://github.com");
  });

  it("unreadable payload names the file", () => {
    const eventPath = join(folder, "missing.json");
    expect(() => readGitHubContext({ GITHUB_EVENT_PATH: eventPath })).toThrow(
      `Failed to read the event payload from GITHUB_EVENT_PATH ${JSON.stringify(eventPath)}`,
    );
  });

  it("invalid attempt becomes 1", () => {
    expect(readGitHubContext({ GITHUB_RUN_ATTEMPT: "zero" }).runAttempt).toBe(1);
  });
});
