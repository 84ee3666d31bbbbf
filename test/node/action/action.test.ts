import { existsSync } from "node:fs";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BucketReader, readBucket } from "../support/bucket-reader.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { ACTION, runAction } from "./run-action.ts";

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 11).toString("base64")}`;
const ZERO_SHA = "0".repeat(40);

function skillFile(name: string): string {
  return `---\nname: ${name}\ndescription: Helps with ${name} tasks.\n---\n\n# ${name}\n\nFollow these steps.\n`;
}

let s3: S3Server;
let bucket: BucketReader;
let receiver: WebhookReceiver;
let repo: GitRepo;
let sha: string;

beforeAll(() => {
  if (!existsSync(ACTION)) throw new Error(`${ACTION} is missing: run "npm run build" first`);
});

beforeEach(async () => {
  s3 = await startS3Server();
  bucket = readBucket(s3);
  receiver = await startWebhookReceiver();
  repo = await createGitRepo();
  await repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
  await repo.write("skills/pdf/scripts/extract.sh", "#!/bin/sh\necho extract\n", 0o755);
  await repo.write("skills/review/SKILL.md", skillFile("review"));
  await repo.write("README.md", "Not a skill.\n");
  sha = await repo.commit({ message: "Add skills" });
});

afterEach(async () => {
  bucket.close();
  await receiver.close();
  await s3.close();
  await repo.close();
});

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    "skills-path": "skills",
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    "access-key-id": s3.accessKeyId,
    "secret-access-key": s3.secretAccessKey,
    region: "auto",
    channel: "production",
    "webhook-url": receiver.url,
    "webhook-secret": WEBHOOK_SECRET,
    validation: "claude-code",
    concurrency: "16",
    "dry-run": "false",
    ...overrides,
  };
}

function push(overrides: Record<string, string> = {}) {
  return runAction({
    workspace: repo.root,
    eventName: "push",
    payload: { ref: "refs/heads/main", before: ZERO_SHA, after: sha, deleted: false },
    inputs: inputs(overrides),
    sha,
  });
}

describe("action bundle", () => {
  it("push publishes the commit", async () => {
    const run = await push();
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);

    expect(run.outputs.version).toBe(sha);
    expect(run.outputs["manifest-key"]).toBe(`manifests/${sha}.json`);
    expect(run.outputs.uploaded).toBe("3");
    expect(run.outputs.copied).toBe("0");
    expect(run.outputs.removed).toBe("0");
    expect(JSON.parse(run.outputs.skills ?? "")).toEqual(["pdf", "review"]);
    expect(JSON.parse(run.outputs["changed-skills"] ?? "")).toEqual(["pdf", "review"]);
    expect(run.outputs.notified).toBe("true");
    expect(run.outputs.current).toBe("true");
    expect(run.outputs.outcome).toBe("published");

    expect(await bucket.keys()).toEqual([
      "heads/production.json",
      `manifests/${sha}.json`,
      `versions/${sha}/pdf/SKILL.md`,
      `versions/${sha}/pdf/scripts/extract.sh`,
      `versions/${sha}/review/SKILL.md`,
    ]);
    expect(await bucket.text(`versions/${sha}/pdf/SKILL.md`)).toBe(skillFile("pdf"));
    const head = JSON.parse(await bucket.text("heads/production.json"));
    expect(head.version).toBe(sha);
    expect(head.run).toEqual({
      id: "4242",
      attempt: 1,
      url: "https://github.com/octo/skills/actions/runs/4242/attempts/1",
    });

    expect(run.summary).toContain("## Skills published");
    expect(run.summary).toContain(`| Version | \`${sha}\` |`);
    expect(run.summary).toContain("| Channel | `production` |");
    expect(run.summary).toContain("| Base | none (every file uploaded) |");
    expect(run.summary).toMatch(/\| pdf \| added \| 2 \| \d+ B \|/);
    expect(run.summary).toMatch(/\| review \| added \| 1 \| \d+ B \|/);
    expect(run.summary).toContain("Uploaded: 3 files");
    expect(run.summary).toContain(
      "The Worker was notified, and this version is current on channel `production`.",
    );
  });

  it("reports a channel the Worker kept", async () => {
    await receiver.close();
    receiver = await startWebhookReceiver({
      status: 200,
      body: { current: false, reason: "channel points at a newer commit" },
    });
    const run = await push();

    expect(run.exitCode).toBe(0);
    expect(run.outputs.notified).toBe("true");
    expect(run.outputs.current).toBe("false");
    expect(run.summary).toContain(
      "The Worker was notified but kept channel `production` where it is: channel points at a newer commit.",
    );
    expect(run.stdout).toContain(
      `To serve version ${sha} anyway, run: r2-skills rollback production ${sha}`,
    );
  });

  it("sets outputs when the Worker rejects", async () => {
    await receiver.close();
    receiver = await startWebhookReceiver({
      status: 422,
      body: { error: { code: "manifest_mismatch", message: "manifest sha256 differs" } },
    });
    const run = await push();

    expect(run.exitCode).toBe(1);
    expect(run.outputs.version).toBe(sha);
    expect(run.outputs["manifest-key"]).toBe(`manifests/${sha}.json`);
    expect(run.outputs.notified).toBe("false");
    expect(run.outputs.current).toBe("");
    expect(run.outputs.outcome).toBe("published");
    expect(run.stdout).toContain("manifest sha256 differs");
  });

  it("notification is signed", async () => {
    const run = await push();
    expect(run.exitCode).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0];
    if (request === undefined) throw new Error("no request");
    const headers = {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    };
    const verified = new Webhook(WEBHOOK_SECRET).verify(request.body, headers) as {
      data: { version: string; channel: string; ref: string; repository: string };
    };
    expect(verified.data.version).toBe(sha);
    expect(verified.data.channel).toBe("production");
    expect(verified.data.ref).toBe("refs/heads/main");
  });

  it("secrets are masked", async () => {
    const run = await push();
    expect(run.exitCode).toBe(0);
    const masks = run.stdout.split("\n").filter((line) => line.startsWith("::add-mask::"));
    expect(masks).toContain(`::add-mask::${s3.accessKeyId}`);
    expect(masks).toContain(`::add-mask::${s3.secretAccessKey}`);
    expect(masks).toContain(`::add-mask::${WEBHOOK_SECRET}`);
    expect(masks).toContain(`::add-mask::${WEBHOOK_SECRET.slice("whsec_".length)}`);
    const rest = run.stdout
      .split("\n")
      .filter((line) => !line.startsWith("::add-mask::"))
      .join("\n");
    expect(rest).not.toContain(s3.secretAccessKey);
    expect(rest).not.toContain(WEBHOOK_SECRET.slice("whsec_".length));
    expect(run.summary).not.toContain(WEBHOOK_SECRET.slice("whsec_".length));
  });

  it("second push copies unchanged files", async () => {
    expect((await push()).exitCode).toBe(0);
    await repo.write("skills/review/SKILL.md", `${skillFile("review")}\nMore steps.\n`);
    const first = sha;
    sha = await repo.commit({ message: "Change review" });
    const run = await push();
    expect(run.exitCode).toBe(0);
    expect(run.outputs.uploaded).toBe("1");
    expect(run.outputs.copied).toBe("2");
    expect(JSON.parse(run.outputs["changed-skills"] ?? "")).toEqual(["review"]);
    expect(run.summary).toContain(`| Base | \`${first}\` |`);
    expect(run.summary).toMatch(/\| pdf \| unchanged \| 2 \|/);
    expect(run.summary).toMatch(/\| review \| changed \| 1 \|/);
  });

  it("manual run publishes", async () => {
    const run = await runAction({
      workspace: repo.root,
      eventName: "workflow_dispatch",
      payload: { ref: "refs/heads/main", inputs: {} },
      inputs: inputs({ channel: "staging", "webhook-url": "", "webhook-secret": "" }),
      sha,
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.outcome).toBe("published");
    expect(run.outputs.notified).toBe("false");
    expect(await bucket.keys()).toContain("heads/staging.json");
    expect(receiver.requests).toHaveLength(0);
    expect(run.summary).toContain("The Worker was not notified");
  });

  it("pull request writes nothing", async () => {
    expect((await push()).exitCode).toBe(0);
    const before = await bucket.keys();
    const requestsBefore = receiver.requests.length;
    await repo.write("skills/new-skill/SKILL.md", skillFile("new-skill"));
    const prSha = await repo.commit({ message: "Add a skill" });
    const run = await runAction({
      workspace: repo.root,
      eventName: "pull_request",
      payload: { action: "synchronize", number: 7, pull_request: { head: { sha: prSha } } },
      inputs: inputs(),
      sha: prSha,
      ref: "refs/pull/7/merge",
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.outcome).toBe("planned");
    expect(run.outputs.version).toBe(prSha);
    expect(run.outputs.uploaded).toBe("1");
    expect(run.outputs.copied).toBe("3");
    expect(run.outputs.notified).toBe("false");
    expect(await bucket.keys()).toEqual(before);
    expect(receiver.requests).toHaveLength(requestsBefore);
    expect(run.summary).toContain("dry run, nothing written");
    expect(run.summary).toMatch(/\| new-skill \| added \| 1 \|/);
  });

  it("fork pull request plans without secrets", async () => {
    const run = await runAction({
      workspace: repo.root,
      eventName: "pull_request",
      payload: { action: "opened", number: 8 },
      inputs: inputs({ "access-key-id": "", "secret-access-key": "", "webhook-secret": "" }),
      sha,
      ref: "refs/pull/8/merge",
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.outcome).toBe("planned");
    expect(run.outputs.uploaded).toBe("3");
    expect(run.stdout).toContain("a fork's run gets no secrets");
    expect(run.summary).toContain("| Base | none (every file would be uploaded) |");
    expect(await bucket.keys()).toEqual([]);
  });

  it("branch deletion publishes nothing", async () => {
    const run = await runAction({
      workspace: repo.root,
      eventName: "push",
      payload: { ref: "refs/heads/feature", before: sha, after: ZERO_SHA, deleted: true },
      inputs: inputs(),
      sha: ZERO_SHA,
      ref: "refs/heads/feature",
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.outcome).toBe("skipped");
    expect(run.outputs.notified).toBe("false");
    expect(run.stdout).toContain("The push deleted refs/heads/feature: nothing to publish");
    expect(run.summary).toContain("## Nothing published");
    expect(await bucket.keys()).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });

  it("invalid skills fail with annotations", async () => {
    await repo.write(
      "skills/broken/SKILL.md",
      "---\nname: Broken_Name\ndescription: Breaks.\n---\n\nBody.\n",
    );
    await repo.write("skills/empty-folder/notes.txt", "no SKILL.md here\n");
    sha = await repo.commit({ message: "Break a skill" });
    const run = await push();
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /^::error title=Invalid skill,file=skills\/broken\/SKILL\.md,line=2::Invalid name "Broken_Name"/m,
    );
    expect(run.stdout).toMatch(
      /^::error title=Invalid skill,file=skills\/empty-folder::The folder has no SKILL\.md/m,
    );
    expect(run.stdout).toMatch(/^::error::The skills have 2 validation errors/m);
    expect(run.outputs.outcome).toBe("invalid");
    expect(run.summary).toContain("## Skills are invalid (nothing written)");
    expect(run.summary).toContain("### Validation problems: 2 errors, 0 warnings");
    expect(run.summary).not.toContain("## Skills publish failed");
    expect(run.summary).toContain("skills/broken/SKILL.md:2: error: Invalid name");
    expect(await bucket.keys()).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });

  it("unsupported event fails", async () => {
    const run = await runAction({
      workspace: repo.root,
      eventName: "schedule",
      payload: { schedule: "0 0 * * *" },
      inputs: inputs(),
      sha,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '::error::The event "schedule" is not supported: run this action on push, workflow_dispatch, pull_request, pull_request_target',
    );
    expect(await bucket.keys()).toEqual([]);
  });

  it("invalid input fails before writing", async () => {
    const run = await push({ concurrency: "lots" });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('::error::Invalid input "concurrency" "lots"');
    expect(run.summary).toContain("## Skills publish failed");
    expect(run.summary).toContain('Invalid input "concurrency" "lots"');
    expect(await bucket.keys()).toEqual([]);
  });

  it("other checkout warns and publishes HEAD", async () => {
    const triggering = sha;
    await repo.write("skills/review/SKILL.md", `${skillFile("review")}\nLater.\n`);
    const head = await repo.commit({ message: "Later commit" });
    const run = await push();
    expect(run.exitCode).toBe(0);
    expect(run.outputs.version).toBe(head);
    expect(run.stdout).toContain(
      `::warning::The checked-out HEAD ${head} is not the commit that triggered the run (${triggering})`,
    );
  });

  it("unreachable bucket fails", async () => {
    const run = await push({ endpoint: "http://127.0.0.1:9" });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /^::error::.* in bucket "skills" failed: .*ECONNREFUSED 127\.0\.0\.1:9/m,
    );
    expect(run.outputs.outcome).toBeUndefined();
    expect(run.summary).toContain("## Skills publish failed");
    expect(receiver.requests).toHaveLength(0);
  });

  it("dry-run input writes nothing", async () => {
    const run = await push({ "dry-run": "true" });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.outcome).toBe("planned");
    expect(run.outputs.uploaded).toBe("3");
    expect(await bucket.keys()).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });
});
