import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadOrCreateSecrets,
  localFilePath,
  parseStartOptions,
  UsageError,
  writeLocalFile,
} from "../../../local/config.ts";

describe("parseStartOptions", () => {
  it("applies defaults", () => {
    const options = parseStartOptions([], "/repo");
    expect(options).toEqual({
      repositoryRoot: "/repo",
      skillsPath: "skills",
      stateDir: "/repo/.r2-skills",
      channel: "production",
      s3Port: 0,
      workerPort: 0,
      hostPort: 0,
      mount: "auto",
      once: false,
      json: false,
      verbose: false,
    });
  });

  it("reads every option", () => {
    const options = parseStartOptions(
      [
        "--once",
        "--json",
        "--skills",
        "./team/skills/",
        "--channel",
        "staging",
        "--mount",
        "copy",
        "--s3-port",
        "9000",
        "--worker-port",
        "8787",
        "--host-port",
        "8788",
        "--state-dir",
        "state",
        "--verbose",
      ],
      "/repo",
    );
    expect(options?.skillsPath).toBe("team/skills");
    expect(options?.channel).toBe("staging");
    expect(options?.mount).toBe("copy");
    expect([options?.s3Port, options?.workerPort, options?.hostPort]).toEqual([9000, 8787, 8788]);
    expect(options?.stateDir).toBe("/repo/state");
    expect(options?.once).toBe(true);
    expect(options?.json).toBe(true);
    expect(options?.verbose).toBe(true);
  });

  it("returns undefined for help", () => {
    expect(parseStartOptions(["--help"], "/repo")).toBeUndefined();
  });

  it.each([
    [["--json"], "--json needs --once"],
    [["--mount", "nfs"], 'Invalid --mount "nfs"'],
    [["--s3-port", "70000"], 'Invalid --s3-port "70000"'],
    [["--worker-port", "abc"], 'Invalid --worker-port "abc"'],
    [["--channel", "Prod"], 'Invalid --channel "Prod"'],
    [["--skills", "../outside"], 'Invalid --skills "../outside"'],
    [["--unknown"], "--unknown"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseStartOptions(argv, "/repo")).toThrow(UsageError);
    expect(() => parseStartOptions(argv, "/repo")).toThrow(message);
  });
});

describe("local secrets", () => {
  let state: string;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), "r2-skills-config-"));
  });

  afterEach(async () => {
    await rm(state, { recursive: true, force: true });
  });

  it("generates secrets on the first start", async () => {
    const secrets = await loadOrCreateSecrets(state);
    expect(secrets.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secrets.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secrets.sessionToken).not.toBe(secrets.adminToken);
    expect(secrets.hostToken).not.toBe(secrets.sessionToken);
    expect(secrets.s3.bucket).toBe("r2-skills");
    expect(secrets.s3.prefix).toBe("");
  });

  it("reuses secrets from local.json", async () => {
    const secrets = await loadOrCreateSecrets(state);
    await writeLocalFile(state, {
      ...secrets,
      workerUrl: "http://127.0.0.1:1",
      hostUrl: "http://127.0.0.1:2",
    });
    expect((await stat(localFilePath(state))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateSecrets(state)).toEqual(secrets);
  });

  it("tightens the mode of an existing local.json", async () => {
    const secrets = await loadOrCreateSecrets(state);
    await writeFile(localFilePath(state), "{}", { mode: 0o644 });
    await writeLocalFile(state, {
      ...secrets,
      workerUrl: "http://127.0.0.1:1",
      hostUrl: "http://127.0.0.1:2",
    });
    expect((await stat(localFilePath(state))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(localFilePath(state), "utf8")).workerUrl).toBe(
      "http://127.0.0.1:1",
    );
  });

  it("rejects an invalid local.json", async () => {
    await writeFile(localFilePath(state), '{"webhookSecret": "plain"}');
    await expect(loadOrCreateSecrets(state)).rejects.toThrow("fix it or delete it");
  });

  it("rejects local.json that is not JSON", async () => {
    await writeFile(localFilePath(state), "{");
    await expect(loadOrCreateSecrets(state)).rejects.toThrow("is not valid JSON");
  });
});
