import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BucketReader, readBucket } from "../support/bucket-reader.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { runCli } from "./run-cli.ts";

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 5).toString("base64")}`;

function skillFile(name: string): string {
  return `---\nname: ${name}\ndescription: Helps with ${name} tasks.\n---\n\n# ${name}\n\nFollow these steps.\n`;
}

let s3: S3Server;
let bucket: BucketReader;
let receiver: WebhookReceiver;
let repo: GitRepo;
let sha: string;

beforeEach(async () => {
  s3 = await startS3Server();
  bucket = readBucket(s3);
  receiver = await startWebhookReceiver();
  repo = await createGitRepo();
  await repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
  await repo.write("skills/pdf/scripts/extract.sh", "#!/bin/sh\necho extract\n", 0o755);
  await repo.write("skills/review/SKILL.md", skillFile("review"));
  sha = await repo.commit({ message: "Add skills" });
});

afterEach(async () => {
  bucket.close();
  await receiver.close();
  await s3.close();
  await repo.close();
});

/** Returns the store settings as environment variables, plus `extra`. */
function storeEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    R2_SKILLS_BUCKET: s3.bucket,
    R2_SKILLS_ENDPOINT: s3.endpoint,
    R2_SKILLS_ACCESS_KEY_ID: s3.accessKeyId,
    R2_SKILLS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ...extra,
  };
}

function parseSingleJson(stdout: string): Record<string, unknown> {
  expect(stdout.trim().startsWith("{")).toBe(true);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("cli validate", () => {
  it("valid skills exit 0", async () => {
    const run = await runCli(["validate"], { cwd: repo.root });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("Valid: 2 skills (pdf, review), 0 warnings\n");
  });

  it("one skill and warning are singular", async () => {
    await repo.write(
      "single/review/SKILL.md",
      "---\nname: review\ndescription: Reviews.\ncolour: blue\n---\n\nBody.\n",
    );
    const run = await runCli(["validate", "single"], { cwd: repo.root });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("Valid: 1 skill (review), 1 warning\n");
  });

  it("invalid skills exit 1 with file:line", async () => {
    await repo.write(
      "skills/broken/SKILL.md",
      "---\nname: broken\ndescription: Breaks.\nunknown-field: 1\n---\n\nBody.\n",
    );
    await repo.write("skills/bad/SKILL.md", "---\nname: Bad\ndescription: Bad.\n---\n\nBody.\n");
    const run = await runCli(["validate", "--validation", "strict"], { cwd: repo.root });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('skills/bad/SKILL.md:2: error: Invalid name "Bad"');
    expect(run.stdout).toContain('skills/broken/SKILL.md:4: error: Unknown field "unknown-field"');
    expect(run.stdout).toContain("Invalid: 2 errors and 0 warnings");
  });

  it("path argument from a subfolder", async () => {
    await mkdir(join(repo.root, "docs"));
    const run = await runCli(["validate", "../skills"], { cwd: join(repo.root, "docs") });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("Valid: 2 skills");
  });

  it("json output is one object", async () => {
    await repo.write("skills/bad/SKILL.md", "---\nname: Bad\ndescription: Bad.\n---\n\nBody.\n");
    const run = await runCli(["validate", "--json"], { cwd: repo.root });
    expect(run.exitCode).toBe(1);
    const result = parseSingleJson(run.stdout);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ severity: "error", file: "skills/bad/SKILL.md", line: 2 }),
    ]);
  });

  it("missing folder names the argument", async () => {
    const run = await runCli(["validate", "nowhere"], { cwd: repo.root });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`Skills folder "${join(repo.root, "nowhere")}" not found`);
    expect(run.stderr).toContain(
      'the path argument "nowhere" must name the folder that contains the skills',
    );
    expect(run.stderr).not.toContain("--skills-path");
  });

  it("missing folder names the flag or variable", async () => {
    const flag = await runCli(["validate", "--skills-path", "nowhere"], { cwd: repo.root });
    expect(flag.exitCode).toBe(1);
    expect(flag.stderr).toContain('--skills-path "nowhere" must name the folder');
    const variable = await runCli(["validate"], {
      cwd: repo.root,
      env: { R2_SKILLS_SKILLS_PATH: "nowhere" },
    });
    expect(variable.exitCode).toBe(1);
    expect(variable.stderr).toContain('R2_SKILLS_SKILLS_PATH "nowhere" must name the folder');
  });

  it("metadata number shows its text and fix", async () => {
    await repo.write(
      "skills/pdf/SKILL.md",
      "---\nname: pdf\ndescription: Fills forms.\nmetadata: {version: 1.0}\n---\n\nBody.\n",
    );
    const run = await runCli(["validate"], { cwd: repo.root });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      'skills/pdf/SKILL.md:4: error: "metadata.version" must be a string, got the number 1.0: quote it, as in version: "1.0"',
    );
  });

  it("empty description says what to write", async () => {
    await repo.write("skills/pdf/SKILL.md", "---\nname: pdf\ndescription:\n---\n\nBody.\n");
    const run = await runCli(["validate"], { cwd: repo.root });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      'skills/pdf/SKILL.md:3: error: "description" is empty: say what the skill does and when to use it',
    );
  });
});

describe("cli publish", () => {
  it("json output is one object", async () => {
    const run = await runCli(["publish", "--json", "--webhook-url", receiver.url], {
      cwd: repo.root,
      env: storeEnv({ R2_SKILLS_WEBHOOK_SECRET: WEBHOOK_SECRET }),
    });
    expect(run.exitCode).toBe(0);
    const result = parseSingleJson(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.outcome).toBe("published");
    expect(result.version).toBe(sha);
    expect(result.uploaded).toBe(3);
    expect(result.notified).toBe(true);
    expect(run.stderr).toContain("== validate");
    expect(await bucket.keys()).toEqual([
      "heads/production.json",
      `manifests/${sha}.json`,
      `versions/${sha}/pdf/SKILL.md`,
      `versions/${sha}/pdf/scripts/extract.sh`,
      `versions/${sha}/review/SKILL.md`,
    ]);
    const request = receiver.requests[0];
    if (request === undefined) throw new Error("no notification");
    const verified = new Webhook(WEBHOOK_SECRET).verify(request.body, {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    }) as { data: { ref: string | null; run: unknown } };
    expect(verified.data.ref).toBe("refs/heads/main");
    expect(verified.data.run).toBeNull();
  });

  it("uncommitted change gets a local id", async () => {
    await repo.write("skills/review/notes.md", "Untracked notes.\n");
    const run = await runCli(["publish", "--json"], { cwd: repo.root, env: storeEnv() });
    expect(run.exitCode).toBe(0);
    const result = parseSingleJson(run.stdout);
    expect(result.version).toMatch(/^local-[0-9a-f]{24}$/);
    expect(await bucket.keys()).toContain(`versions/${String(result.version)}/review/notes.md`);
  });

  it("from-commit ignores uncommitted files", async () => {
    await repo.write("skills/review/notes.md", "Untracked notes.\n");
    const run = await runCli(["publish", "--json", "--from-commit"], {
      cwd: repo.root,
      env: storeEnv(),
    });
    expect(run.exitCode).toBe(0);
    expect(parseSingleJson(run.stdout).version).toBe(sha);
    expect(await bucket.keys()).not.toContain(`versions/${sha}/review/notes.md`);
  });

  it("dry run writes nothing", async () => {
    const run = await runCli(["publish", "--dry-run", "--webhook-url", receiver.url], {
      cwd: repo.root,
      env: storeEnv({ R2_SKILLS_WEBHOOK_SECRET: WEBHOOK_SECRET }),
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`Dry run, nothing written. Planned ${sha} on channel production`);
    expect(run.stdout).toMatch(/pdf\s+added\s+2/);
    expect(run.stdout).toContain("to upload: 3 files");
    expect(await bucket.keys()).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });

  it("dry run needs no credentials", async () => {
    const run = await runCli(["publish", "--dry-run", "--json"], { cwd: repo.root });
    expect(run.exitCode).toBe(0);
    expect(parseSingleJson(run.stdout).outcome).toBe("planned");
    expect(run.stderr).toContain("No bucket credentials");
  });

  it("invalid skills exit 1 and write nothing", async () => {
    await repo.write("skills/bad/SKILL.md", "---\nname: Bad\ndescription: Bad.\n---\n\nBody.\n");
    const run = await runCli(["publish", "--json"], { cwd: repo.root, env: storeEnv() });
    expect(run.exitCode).toBe(1);
    const result = parseSingleJson(run.stdout);
    expect(result.outcome).toBe("invalid");
    expect(result.ok).toBe(false);
    expect(await bucket.keys()).toEqual([]);
  });

  it("flags win over variables", async () => {
    const run = await runCli(["publish", "--json", "--channel", "beta", "--prefix", "flag"], {
      cwd: repo.root,
      env: storeEnv({ R2_SKILLS_CHANNEL: "staging", R2_SKILLS_PREFIX: "variable" }),
    });
    expect(run.exitCode).toBe(0);
    expect(parseSingleJson(run.stdout).channel).toBe("beta");
    expect(await bucket.keys()).toContain("flag/heads/beta.json");
  });

  it("variables apply without flags", async () => {
    const run = await runCli(["publish", "--json"], {
      cwd: repo.root,
      env: storeEnv({ R2_SKILLS_CHANNEL: "staging", R2_SKILLS_PREFIX: "variable" }),
    });
    expect(run.exitCode).toBe(0);
    expect(await bucket.keys()).toContain("variable/heads/staging.json");
  });

  it("AWS variables supply the store", async () => {
    const run = await runCli(["publish", "--json", "--bucket", s3.bucket], {
      cwd: repo.root,
      env: {
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_REGION: "us-east-1",
      },
    });
    expect(run.exitCode).toBe(0);
    expect(parseSingleJson(run.stdout).outcome).toBe("published");
  });

  it("R2 variables win over AWS ones", async () => {
    const run = await runCli(["publish", "--json"], {
      cwd: repo.root,
      env: storeEnv({ AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_ACCESS_KEY_ID: "WRONG" }),
    });
    expect(run.exitCode).toBe(0);
  });

  it("secret flag warns and is not echoed", async () => {
    const run = await runCli(
      ["publish", "--json", "--secret-access-key", s3.secretAccessKey, "--concurrency", "0"],
      { cwd: repo.root, env: storeEnv({ R2_SKILLS_SECRET_ACCESS_KEY: "" }) },
    );
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      "warning: --secret-access-key on the command line can be read from the process list",
    );
    expect(run.stderr).not.toContain(s3.secretAccessKey);
    expect(run.stdout).not.toContain(s3.secretAccessKey);
  });

  it("verbose log hides secrets", async () => {
    const run = await runCli(["publish", "--verbose", "--webhook-url", receiver.url], {
      cwd: repo.root,
      env: storeEnv({ R2_SKILLS_WEBHOOK_SECRET: WEBHOOK_SECRET }),
    });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain("debug: Resolved settings");
    expect(run.stderr).not.toContain(s3.secretAccessKey);
    expect(run.stderr).not.toContain(WEBHOOK_SECRET.slice("whsec_".length));
    expect(run.stdout).not.toContain(WEBHOOK_SECRET.slice("whsec_".length));
  });

  it("unreachable bucket exits 1", async () => {
    const run = await runCli(["publish", "--json"], {
      cwd: repo.root,
      env: storeEnv({ R2_SKILLS_ENDPOINT: "http://127.0.0.1:9" }),
    });
    expect(run.exitCode).toBe(1);
    const result = parseSingleJson(run.stdout);
    expect(result.ok).toBe(false);
    expect(result.error).toEqual(expect.objectContaining({ code: "store" }));
  });
});

describe("cli usage errors", () => {
  it.each([
    [[], "Missing command."],
    [
      ["deploy"],
      'Unknown command "deploy": expected one of validate, publish, notify, status, rollback',
    ],
    [
      ["publish", "--bogus"],
      'Unknown option \'--bogus\' for "r2-skills publish"; run "r2-skills publish --help"',
    ],
    [["validate", "a", "b"], '"r2-skills validate" takes at most the arguments'],
    [["publish", "extra"], '"r2-skills publish" takes no arguments, got "extra"'],
    [
      ["publish"],
      "Missing --bucket: the bucket to publish to is required; pass --bucket or set R2_SKILLS_BUCKET",
    ],
    [
      ["publish", "--bucket", "skills", "--account-id", "abc"],
      'Invalid --account-id "abc": expected the 32 lowercase hex digits',
    ],
    [
      ["publish", "--validation", "loose"],
      'Invalid --validation "loose": expected "claude-code" or "strict"; pass --validation or set R2_SKILLS_VALIDATION',
    ],
    [["notify"], '"r2-skills notify" takes the arguments <version>, got none'],
    [
      ["notify", "v1"],
      'Invalid version argument "v1": expected a 40 or 64 character lowercase hex commit sha',
    ],
    [["rollback", "production"], '"r2-skills rollback" takes the arguments <channel> <version>'],
    [["rollback", "Prod", "a".repeat(40)], 'Invalid channel argument "Prod"'],
    [
      ["status"],
      "Missing --worker-url: pass the Worker's base URL with --worker-url or set R2_SKILLS_WORKER_URL",
    ],
  ])("%j exits 2", async (args, expected) => {
    const run = await runCli(args, { cwd: repo.root });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(expected);
  });

  it("variable named in its error", async () => {
    const run = await runCli(["publish"], {
      cwd: repo.root,
      env: storeEnv({ R2_SKILLS_CONCURRENCY: "many" }),
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      'Invalid R2_SKILLS_CONCURRENCY "many": expected a whole number of requests from 1 to 256; pass --concurrency or set R2_SKILLS_CONCURRENCY',
    );
  });

  it("usage error as json", async () => {
    const run = await runCli(["publish", "--json", "--channel", "Bad"], {
      cwd: repo.root,
      env: storeEnv(),
    });
    expect(run.exitCode).toBe(2);
    const result = parseSingleJson(run.stdout);
    expect(result).toEqual({
      ok: false,
      error: { code: "usage", message: expect.stringContaining('Invalid --channel "Bad"') },
    });
  });

  it("help exits 0", async () => {
    for (const args of [["--help"], ["help", "publish"], ["rollback", "--help"]]) {
      const run = await runCli(args, { cwd: repo.root });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("Usage: r2-skills");
    }
  });

  it("help names the flags without a variable", async () => {
    const general = await runCli(["--help"], { cwd: repo.root });
    expect(general.stdout).not.toContain("Every flag can also be set");
    expect(general.stdout).toContain("--reason, --json and --help have none");
    const rollback = await runCli(["rollback", "--help"], { cwd: repo.root });
    for (const name of ["--reason", "--json", "--help"]) {
      const line = rollback.stdout.split("\n").find((text) => text.startsWith(`  ${name} `));
      expect(line, name).toBeDefined();
      expect(line, name).not.toContain("[");
    }
    const bucket = (await runCli(["publish", "--help"], { cwd: repo.root })).stdout
      .split("\n")
      .find((text) => text.startsWith("  --bucket "));
    expect(bucket).toContain("[R2_SKILLS_BUCKET]");
  });
});

describe("cli notify", () => {
  it("sends a published version again", async () => {
    expect((await runCli(["publish"], { cwd: repo.root, env: storeEnv() })).exitCode).toBe(0);
    expect(receiver.requests).toHaveLength(0);
    const run = await runCli(["notify", sha, "--json", "--ref", "refs/heads/main"], {
      cwd: repo.root,
      env: storeEnv({
        R2_SKILLS_WEBHOOK_URL: receiver.url,
        R2_SKILLS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      }),
    });
    expect(run.exitCode).toBe(0);
    const result = parseSingleJson(run.stdout);
    expect(result.status).toBe(200);
    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0];
    if (request === undefined) throw new Error("no notification");
    const verified = new Webhook(WEBHOOK_SECRET).verify(request.body, {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    }) as { data: { version: string; channel: string; ref: string } };
    expect(verified.data.version).toBe(sha);
    expect(verified.data.channel).toBe("production");
    expect(verified.data.ref).toBe("refs/heads/main");
  });

  it("unknown version exits 1", async () => {
    const run = await runCli(["notify", "b".repeat(40)], {
      cwd: repo.root,
      env: storeEnv({
        R2_SKILLS_WEBHOOK_URL: receiver.url,
        R2_SKILLS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`Version ${"b".repeat(40)} has no manifest`);
    expect(receiver.requests).toHaveLength(0);
  });

  it("needs the webhook settings", async () => {
    const run = await runCli(["notify", sha], { cwd: repo.root, env: storeEnv() });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("Missing --webhook-url and --webhook-secret");
  });
});

describe("cli bundle", () => {
  it("bundle validates and publishes", async () => {
    const validate = await runCli(["validate"], { cwd: repo.root, bundle: true });
    expect(validate.exitCode).toBe(0);
    expect(validate.stdout).toContain("Valid: 2 skills");
    const publish = await runCli(["publish", "--json"], {
      cwd: repo.root,
      env: storeEnv(),
      bundle: true,
    });
    expect(publish.exitCode).toBe(0);
    expect(parseSingleJson(publish.stdout).version).toBe(sha);
    expect(await bucket.keys()).toContain(`manifests/${sha}.json`);
  });
});
