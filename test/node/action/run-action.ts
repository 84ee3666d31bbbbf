/**
 * Runs the built Action (`dist/index.js`) the way the runner does: Node 24,
 * inputs as `INPUT_<NAME>` variables (upper-cased, hyphens kept), the event
 * payload in a file, and outputs and the job summary written to files.
 */

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isolatedGitEnv } from "../support/git-repo.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
export const NODE = join(ROOT, "node_modules/.bin/node");
export const ACTION = join(ROOT, "dist/index.js");

export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

export interface ActionRunOptions {
  workspace: string;
  eventName: string;
  payload: Record<string, unknown>;
  inputs: Record<string, string>;
  sha?: string;
  ref?: string;
}

/** Parses the `GITHUB_OUTPUT` file: `name<<DELIMITER`, the value's lines, `DELIMITER`. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[index] ?? "");
    if (match === null) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    index++;
    while (index < lines.length && lines[index] !== delimiter) {
      value.push(lines[index] ?? "");
      index++;
    }
    outputs[name ?? ""] = value.join("\n");
  }
  return outputs;
}

export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  const folder = await mkdtemp(join(tmpdir(), "r2-skills-action-"));
  try {
    const eventPath = join(folder, "event.json");
    const outputPath = join(folder, "output.txt");
    const summaryPath = join(folder, "summary.md");
    await writeFile(eventPath, JSON.stringify(options.payload));
    await writeFile(outputPath, "");
    await writeFile(summaryPath, "");
    const env: NodeJS.ProcessEnv = {
      ...isolatedGitEnv(),
      GITHUB_ACTIONS: "true",
      GITHUB_EVENT_NAME: options.eventName,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_OUTPUT: outputPath,
      GITHUB_STEP_SUMMARY: summaryPath,
      GITHUB_WORKSPACE: options.workspace,
      GITHUB_SHA: options.sha ?? "",
      GITHUB_REF: options.ref ?? "refs/heads/main",
      GITHUB_REPOSITORY: "octo/skills",
      GITHUB_RUN_ID: "4242",
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_SERVER_URL: "https://github.com",
      RUNNER_TEMP: folder,
    };
    for (const [name, value] of Object.entries(options.inputs)) {
      env[`INPUT_${name.toUpperCase()}`] = value;
    }
    const { exitCode, stdout, stderr } = await new Promise<{
      exitCode: number;
      stdout: string;
      stderr: string;
    }>((done) => {
      execFile(
        NODE,
        [ACTION],
        { cwd: options.workspace, env, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          let code = 0;
          if (error !== null) code = typeof error.code === "number" ? error.code : -1;
          done({ exitCode: code, stdout, stderr });
        },
      );
    });
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseOutputFile(await readFile(outputPath, "utf8")),
      summary: await readFile(summaryPath, "utf8"),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
