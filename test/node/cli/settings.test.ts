import { describe, expect, it } from "vitest";
import type { CliCommand } from "../../../cli/command.ts";
import { parseCommandLine } from "../../../cli/settings.ts";

const ACCOUNT = "0123456789abcdef0123456789abcdef";

const credentials = {
  AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "SECRETKEYEXAMPLE",
};

function publishCommand(argv: string[], env: Record<string, string>) {
  const command: CliCommand = parseCommandLine(["publish", ...argv], env, "/srv/repo");
  if (command.name !== "publish") throw new Error(`expected publish, got ${command.name}`);
  return command;
}

describe("cli settings", () => {
  it("R2 ignores AWS_REGION", () => {
    const command = publishCommand(["--bucket", "skills", "--account-id", ACCOUNT], {
      ...credentials,
      AWS_REGION: "eu-west-1",
    });
    expect(command.store?.endpoint).toBe(`https://${ACCOUNT}.r2.cloudflarestorage.com`);
    expect(command.store?.region).toBe("auto");
  });

  it("R2 keeps an explicit region", () => {
    const command = publishCommand(["--bucket", "skills", "--account-id", ACCOUNT], {
      ...credentials,
      R2_SKILLS_REGION: "us-east-1",
    });
    expect(command.store?.region).toBe("us-east-1");
  });

  it("other endpoints use AWS_REGION", () => {
    const command = publishCommand(["--bucket", "skills"], {
      ...credentials,
      AWS_ENDPOINT_URL: "http://127.0.0.1:9000",
      AWS_REGION: "eu-west-1",
    });
    expect(command.store?.endpoint).toBe("http://127.0.0.1:9000");
    expect(command.store?.region).toBe("eu-west-1");
  });

  it("endpoint variables in order", () => {
    const command = publishCommand(["--bucket", "skills"], {
      ...credentials,
      AWS_ENDPOINT_URL: "http://127.0.0.1:1",
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:2",
    });
    expect(command.store?.endpoint).toBe("http://127.0.0.1:2");
  });

  it("skills path resolves from cwd", () => {
    const command = publishCommand(["--dry-run", "--skills-path", "../other/skills"], {});
    expect(command.skillsFolder).toBe("/srv/other/skills");
    expect(command.store).toBeUndefined();
  });

  it("negated flag beats variable", () => {
    const command = publishCommand(
      ["--no-dry-run", "--bucket", "skills", "--endpoint", "http://127.0.0.1:9000"],
      {
        ...credentials,
        R2_SKILLS_DRY_RUN: "true",
      },
    );
    expect(command.dryRun).toBe(false);
  });

  it("secret flags collect warnings", () => {
    const warnings: string[] = [];
    parseCommandLine(
      ["status", "--worker-url", "http://127.0.0.1:8787", "--admin-token", "token-value"],
      {},
      "/srv/repo",
      warnings,
    );
    expect(warnings).toEqual([
      "--admin-token on the command line can be read from the process list and shell history; set R2_SKILLS_ADMIN_TOKEN instead",
    ]);
  });
});
