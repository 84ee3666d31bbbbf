import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig, requireSecret } from "../../worker/config.ts";
import type { Env } from "../../worker/env.ts";
import { HttpError } from "../../worker/errors.ts";

function withVars(vars: Partial<Env>): Env {
  return { ...env, ...vars };
}

function configError(vars: Partial<Env>): HttpError {
  try {
    loadConfig(withVars(vars));
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(vars)}`);
}

describe("loadConfig", () => {
  it("applies the defaults", () => {
    const config = loadConfig({
      SKILLS_BUCKET: env.SKILLS_BUCKET,
      REGISTRY: env.REGISTRY,
      SESSIONS: env.SESSIONS,
      SANDBOX: env.SANDBOX,
    });
    expect(config.rootPrefix).toBe("");
    expect(config.mountPath).toBe("/workspace/.claude/skills");
    expect(config.mountMode).toBe("r2-binding");
    expect(config.defaultChannel).toBe("production");
    expect(config.agentPort).toBe(3001);
    expect(config.agentCommand).toBeUndefined();
    expect(config.model).toMatch(/^claude-/);
    expect(config.retainVersions).toBe(10);
    expect(config.retainHours).toBe(24);
    expect(config.s3).toBeUndefined();
    expect(config.secrets).toEqual({});
  });

  it("normalizes the prefix", () => {
    expect(loadConfig(withVars({ SKILLS_PREFIX: "/team/skills/" })).rootPrefix).toBe(
      "team/skills/",
    );
  });

  it("reads the S3 settings", () => {
    const config = loadConfig(
      withVars({ S3_ENDPOINT: "http://127.0.0.1:9000/", S3_BUCKET: "skills" }),
    );
    expect(config.s3).toEqual({
      endpoint: "http://127.0.0.1:9000",
      bucket: "skills",
      region: "auto",
    });
  });

  it("treats empty secrets as missing", () => {
    const config = loadConfig(withVars({ ADMIN_TOKEN: "  " }));
    expect(config.secrets.ADMIN_TOKEN).toBeUndefined();
  });

  it.each([
    [{ MOUNT_MODE: "nfs" }, "MOUNT_MODE"],
    [{ MOUNT_PATH: "relative/path" }, "MOUNT_PATH"],
    [{ MOUNT_PATH: "/workspace/../etc" }, "MOUNT_PATH"],
    [{ AGENT_PORT: "70000" }, "AGENT_PORT"],
    [{ AGENT_PORT: "3001.5" }, "AGENT_PORT"],
    [{ RETAIN_VERSIONS: "0" }, "RETAIN_VERSIONS"],
    [{ RETAIN_HOURS: "-1" }, "RETAIN_HOURS"],
    [{ DEFAULT_CHANNEL: "Prod" }, "DEFAULT_CHANNEL"],
    [{ SKILLS_PREFIX: "a/../b" }, "SKILLS_PREFIX"],
    [{ S3_ENDPOINT: "ftp://host" }, "S3_ENDPOINT"],
    [{ S3_ENDPOINT: "http://127.0.0.1:9000" }, "S3_BUCKET"],
    [{ MOUNT_MODE: "s3" }, "S3_ENDPOINT"],
    [{ MOUNT_MODE: "local" }, "LOCAL_HOST_URL"],
  ] as [Partial<Env>, string][])("rejects %j naming %s", (vars, name) => {
    const error = configError(vars);
    expect(error.status).toBe(500);
    expect(error.code).toBe("invalid_config");
    expect(error.message).toContain(name);
  });
});

describe("requireSecret", () => {
  it("names the secret and the command", () => {
    const config = loadConfig(withVars({ WEBHOOK_SECRET: undefined }));
    expect(() => requireSecret(config, "WEBHOOK_SECRET")).toThrow(
      "npx wrangler secret put WEBHOOK_SECRET",
    );
  });

  it("returns a set secret", () => {
    expect(requireSecret(loadConfig(env), "ADMIN_TOKEN")).toBe(env.ADMIN_TOKEN);
  });
});
