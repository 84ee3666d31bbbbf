import { describe, expect, it } from "vitest";
import type { GitHubContext } from "../../../action/context.ts";
import { classifyEvent } from "../../../action/context.ts";
import { readActionSettings, secretParts } from "../../../action/settings.ts";
import { InputError } from "../../../publisher/inputs.ts";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

const context: GitHubContext = {
  eventName: "push",
  payload: {},
  sha: "a".repeat(40),
  ref: "refs/heads/main",
  repository: "octo/skills",
  runId: "42",
  runAttempt: 2,
  serverUrl: "https://github.com",
  workspace: "/srv/repo",
};

const complete: Record<string, string> = {
  "skills-path": "skills",
  bucket: "agent-skills",
  "account-id": ACCOUNT,
  "access-key-id": "AKIDEXAMPLE",
  "secret-access-key": "SECRETKEYEXAMPLE",
  "webhook-url": "https://skills.example.com/webhooks/publish",
  "webhook-secret": WEBHOOK_SECRET,
};

function read(
  inputs: Record<string, string>,
  options: { pullRequest?: boolean; masked?: string[] } = {},
) {
  return readActionSettings((name) => inputs[name] ?? "", context, {
    pullRequest: options.pullRequest ?? false,
    setSecret: (value) => options.masked?.push(value),
  });
}

function messageOf(inputs: Record<string, string>, pullRequest = false): string {
  try {
    read(inputs, { pullRequest });
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error("expected an InputError");
}

describe("action settings", () => {
  it("complete inputs give publish settings", () => {
    const settings = read(complete);
    expect(settings.source).toEqual({
      repositoryRoot: "/srv/repo",
      skillsPath: "skills",
      mode: "commit",
      repository: "octo/skills",
      ref: "refs/heads/main",
      run: {
        id: "42",
        attempt: 2,
        url: "https://github.com/octo/skills/actions/runs/42/attempts/2",
      },
    });
    expect(settings.store).toEqual({
      bucket: "agent-skills",
      endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com`,
      region: "auto",
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "SECRETKEYEXAMPLE",
      prefix: "",
      concurrency: 64,
      forcePathStyle: true,
    });
    expect(settings.channel).toBe("production");
    expect(settings.validation).toBe("claude-code");
    expect(settings.dryRun).toBe(false);
    expect(settings.notify?.url).toBe(complete["webhook-url"]);
    expect(settings.notify?.secret).toBe(WEBHOOK_SECRET);
  });

  it("secrets masked before checks", () => {
    const masked: string[] = [];
    expect(() => read({ ...complete, bucket: "Bad_Bucket" }, { masked })).toThrow(InputError);
    expect(masked).toContain("AKIDEXAMPLE");
    expect(masked).toContain("SECRETKEYEXAMPLE");
    expect(masked).toContain(WEBHOOK_SECRET);
    expect(masked).toContain(WEBHOOK_SECRET.slice("whsec_".length));
  });

  it("secret parts cover rotations", () => {
    const second = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
    const parts = secretParts(` ${WEBHOOK_SECRET} ${second} `);
    expect(parts).toContain(`${WEBHOOK_SECRET} ${second}`);
    expect(parts).toContain(WEBHOOK_SECRET);
    expect(parts).toContain(second);
    expect(parts).toContain(second.slice(6));
    expect(secretParts("  ")).toEqual([]);
  });

  it("jurisdiction picks the endpoint", () => {
    expect(read({ ...complete, jurisdiction: "eu" }).store?.endpoint).toBe(
      `https://${ACCOUNT}.eu.r2.cloudflarestorage.com`,
    );
    expect(read({ ...complete, jurisdiction: "fedramp" }).store?.endpoint).toBe(
      `https://${ACCOUNT}.fedramp.r2.cloudflarestorage.com`,
    );
  });

  it("endpoint wins over account id", () => {
    const store = read({ ...complete, endpoint: "http://127.0.0.1:9000/" }).store;
    expect(store?.endpoint).toBe("http://127.0.0.1:9000");
    expect(store?.forcePathStyle).toBe(true);
  });

  it("AWS endpoints use virtual hosts", () => {
    const store = read({
      ...complete,
      endpoint: "https://s3.us-east-2.amazonaws.com",
      region: "us-east-2",
    }).store;
    expect(store?.forcePathStyle).toBe(false);
    expect(store?.region).toBe("us-east-2");
  });

  it("optional inputs are read", () => {
    const settings = read({
      ...complete,
      "skills-path": "./agent/skills/",
      prefix: "/team/skills/",
      channel: "staging",
      validation: "strict",
      concurrency: "4",
      "dry-run": "true",
    });
    expect(settings.source.skillsPath).toBe("agent/skills");
    expect(settings.store?.prefix).toBe("team/skills/");
    expect(settings.store?.concurrency).toBe(4);
    expect(settings.channel).toBe("staging");
    expect(settings.validation).toBe("strict");
    expect(settings.dryRun).toBe(true);
  });

  it("no webhook means no notify", () => {
    const settings = read({ ...complete, "webhook-url": "", "webhook-secret": "" });
    expect(settings.notify).toBeUndefined();
  });

  it("pull request forces dry run", () => {
    const settings = read(complete, { pullRequest: true });
    expect(settings.dryRun).toBe(true);
    expect(settings.notify).toBeUndefined();
    expect(settings.store?.bucket).toBe("agent-skills");
  });

  it("fork pull request has no store", () => {
    const settings = read(
      { ...complete, "access-key-id": "", "secret-access-key": "", "webhook-secret": "" },
      { pullRequest: true },
    );
    expect(settings.store).toBeUndefined();
    expect(settings.notify).toBeUndefined();
  });

  it("dry run without credentials has no store", () => {
    const settings = read({
      "dry-run": "true",
      bucket: "agent-skills",
      "account-id": ACCOUNT,
    });
    expect(settings.store).toBeUndefined();
  });

  it.each([
    [{ bucket: "" }, 'Missing input "bucket": the bucket to publish to is required; set "bucket"'],
    [
      { "account-id": "" },
      'Missing input "account-id": set the Cloudflare account id for R2, or input "endpoint"',
    ],
    [{ "access-key-id": "" }, 'Missing input "access-key-id"'],
    [{ "secret-access-key": "" }, 'Missing input "secret-access-key"'],
    [{ "webhook-url": "" }, 'Missing input "webhook-url": input "webhook-secret" is set'],
    [{ "webhook-secret": "" }, 'Missing input "webhook-secret": input "webhook-url" is set'],
  ])("missing %o is named", (change, expected) => {
    expect(messageOf({ ...complete, ...change })).toContain(expected);
  });

  it.each([
    [
      "skills-path",
      "/abs/skills",
      'Invalid input "skills-path" "/abs/skills": expected a path relative',
    ],
    [
      "skills-path",
      "../outside",
      'Invalid input "skills-path" "../outside": the path has a ".." segment',
    ],
    ["bucket", "Bad_Bucket", 'Invalid input "bucket" "Bad_Bucket": expected 3 to 63 lowercase'],
    [
      "account-id",
      "not-an-account",
      'Invalid input "account-id" "not-an-account": expected the 32 lowercase hex',
    ],
    [
      "jurisdiction",
      "mars",
      'Invalid input "jurisdiction" "mars": expected one of "default", "eu", "fedramp"',
    ],
    [
      "endpoint",
      "ftp://files.example.com",
      'Invalid input "endpoint" "ftp://files.example.com": expected an http',
    ],
    ["endpoint", "not a url", 'Invalid input "endpoint" "not a url": expected an absolute'],
    ["endpoint", "https://user:pw@s3.example.com", "must not contain a user name or password"],
    ["region", "us east", 'Invalid input "region" "us east": expected a region name'],
    ["prefix", "a/../b", 'Invalid input "prefix" "a/../b"'],
    ["channel", "Prod", 'Invalid input "channel" "Prod": expected 1 to 63 lowercase'],
    [
      "validation",
      "loose",
      'Invalid input "validation" "loose": expected "claude-code" or "strict"',
    ],
    [
      "concurrency",
      "0",
      'Invalid input "concurrency" "0": expected a whole number of requests from 1 to 256',
    ],
    ["concurrency", "many", 'Invalid input "concurrency" "many"'],
    ["concurrency", "1000", 'Invalid input "concurrency" "1000"'],
    [
      "webhook-url",
      "mailto:ops@example.com",
      'Invalid input "webhook-url" "mailto:ops@example.com"',
    ],
    ["dry-run", "yes", 'Invalid input "dry-run" "yes": expected "true" or "false"'],
  ])("invalid %s %j is named", (name, value, expected) => {
    const message = messageOf({ ...complete, [name]: value });
    expect(message).toContain(expected);
    expect(message).toContain(`set "${name}" under "with:"`);
  });

  it.each([
    ["access-key-id", "has space"],
    ["secret-access-key", "has space"],
    ["webhook-secret", "whsec_!!notbase64!!"],
    ["webhook-secret", "plain-secret-value"],
  ])("invalid secret %s is not echoed", (name, value) => {
    const message = messageOf({ ...complete, [name]: value });
    expect(message).toContain(`Invalid input "${name}"`);
    expect(message).toContain("secrets.NAME");
    expect(message).not.toContain(value);
  });
});

describe("event classification", () => {
  const event = (eventName: string, payload: Record<string, unknown> = {}) =>
    classifyEvent({ ...context, eventName, payload }).kind;

  it("push publishes", () => {
    expect(event("push", { after: "b".repeat(40) })).toBe("publish");
  });

  it("deleted branch publishes nothing", () => {
    expect(event("push", { deleted: true })).toBe("branch-deleted");
    expect(event("push", { after: "0".repeat(40) })).toBe("branch-deleted");
  });

  it("manual run publishes", () => {
    expect(event("workflow_dispatch")).toBe("publish");
  });

  it("pull requests only plan", () => {
    expect(event("pull_request")).toBe("pull-request");
    expect(event("pull_request_target")).toBe("pull-request");
  });

  it("other events are unsupported", () => {
    expect(event("schedule")).toBe("unsupported");
    expect(event("")).toBe("unsupported");
  });
});
