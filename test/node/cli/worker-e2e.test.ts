/**
 * The CLI against the real Worker in workerd, through the local stack:
 * publish notifies the Worker, status reads its channels, rollback moves a
 * channel back, and notify delivers a published version again.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/logger.ts";
import { type Stack, startStack } from "../../../local/stack.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { runCli } from "./run-cli.ts";

function skillFile(name: string, body: string): string {
  return `---\nname: ${name}\ndescription: Helps with ${name} tasks.\n---\n\n${body}\n`;
}

let repo: GitRepo;
let state: string;
let stack: Stack;
let firstSha: string;
let secondSha: string;

beforeAll(async () => {
  repo = await createGitRepo();
  state = await mkdtemp(join(tmpdir(), "r2-skills-cli-e2e-"));
  await repo.write("skills/alpha/SKILL.md", skillFile("alpha", "First version."));
  firstSha = await repo.commit({ message: "Add alpha" });
  stack = await startStack({
    repositoryRoot: repo.root,
    skillsPath: "skills",
    stateDir: state,
    channel: "production",
    s3Port: 0,
    workerPort: 0,
    hostPort: 0,
    mount: "copy",
    verbose: false,
    logger: silentLogger,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await repo?.close();
  if (state !== undefined) await rm(state, { recursive: true, force: true });
});

/** Returns the variables that point the CLI at the stack's bucket and Worker. */
function stackEnv(): Record<string, string> {
  const { local } = stack;
  return {
    R2_SKILLS_BUCKET: local.s3.bucket,
    R2_SKILLS_ENDPOINT: stack.s3.endpoint,
    R2_SKILLS_REGION: local.s3.region,
    R2_SKILLS_PREFIX: local.s3.prefix,
    AWS_ACCESS_KEY_ID: local.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: local.s3.secretAccessKey,
    R2_SKILLS_WEBHOOK_URL: `${local.workerUrl}/webhooks/publish`,
    R2_SKILLS_WEBHOOK_SECRET: local.webhookSecret,
    R2_SKILLS_WORKER_URL: local.workerUrl,
    R2_SKILLS_ADMIN_TOKEN: local.adminToken,
  };
}

async function currentVersion(): Promise<Record<string, unknown>> {
  const run = await runCli(["status", "production", "--json"], { cwd: repo.root, env: stackEnv() });
  expect(run.stderr).toBe("");
  expect(run.exitCode).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe("cli with the Worker", () => {
  it("publish notifies the Worker", async () => {
    const run = await runCli(["publish", "--json"], { cwd: repo.root, env: stackEnv() });
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result.version).toBe(firstSha);
    expect(result.notified).toBe(true);
    expect(result.decision).toEqual({
      current: true,
      reason: 'first version published to channel "production"',
    });
    expect((await currentVersion()).version).toBe(firstSha);
  });

  it("status lists the channel", async () => {
    const run = await runCli(["status"], { cwd: repo.root, env: stackEnv() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`production  ${firstSha}`);
  });

  it("rollback moves the channel back", async () => {
    await repo.write("skills/alpha/SKILL.md", skillFile("alpha", "Second version."));
    secondSha = await repo.commit({ message: "Change alpha" });
    const publish = await runCli(["publish"], { cwd: repo.root, env: stackEnv() });
    expect(publish.exitCode).toBe(0);
    expect((await currentVersion()).version).toBe(secondSha);

    const run = await runCli(["rollback", "production", firstSha, "--reason", "bad wording"], {
      cwd: repo.root,
      env: stackEnv(),
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      `Channel production now serves ${firstSha} (was ${secondSha}); new sessions mount it\n`,
    );
    const channel = await currentVersion();
    expect(channel.version).toBe(firstSha);
    expect(channel.cause).toBe("rollback");
    expect(channel.reason).toBe("bad wording");

    const text = await runCli(["status", "production"], { cwd: repo.root, env: stackEnv() });
    expect(text.stdout).toContain(`version: ${firstSha}`);
    expect(text.stdout).toContain("(rollback): bad wording");
    expect(text.stdout).toContain("history, newest first:");
  });

  it("rollback to the current version says so", async () => {
    const run = await runCli(["rollback", "production", firstSha], {
      cwd: repo.root,
      env: stackEnv(),
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      `Channel production already served ${firstSha}; the rollback is recorded in its history\n`,
    );
    expect((await currentVersion()).version).toBe(firstSha);
  });

  it("notify delivers a version again", async () => {
    const run = await runCli(["notify", secondSha, "--json"], { cwd: repo.root, env: stackEnv() });
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as { status: number; reply: Record<string, unknown> };
    expect(result.status).toBe(200);
    expect(result.reply.version).toBe(secondSha);
    // A version the Worker has seen does not undo the rollback.
    expect(result.reply.current).toBe(false);
    expect((await currentVersion()).version).toBe(firstSha);
  });

  it("publish reports a channel it did not move", async () => {
    const run = await runCli(["publish"], { cwd: repo.root, env: stackEnv() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      `Worker notified, channel production not moved: channel "production" was rolled back to ${firstSha}`,
    );
    expect(run.stdout).toContain(
      `To serve this version anyway, run: r2-skills rollback production ${secondSha}`,
    );
    expect((await currentVersion()).version).toBe(firstSha);
  });

  it("rollback to unknown version fails", async () => {
    const unknown = "f".repeat(40);
    const run = await runCli(["rollback", "production", unknown], {
      cwd: repo.root,
      env: stackEnv(),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("The Worker answered POST /channels/production/rollback with 404");
  });

  it("wrong admin token fails", async () => {
    const run = await runCli(["status"], {
      cwd: repo.root,
      env: { ...stackEnv(), R2_SKILLS_ADMIN_TOKEN: "not-the-admin-token" },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("The Worker rejected the admin token for GET /channels (401");
  });
});
