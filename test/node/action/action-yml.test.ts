import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INPUT_NAMES } from "../../../action/settings.ts";
import { DEFAULTS } from "../../../publisher/inputs.ts";

interface ActionYml {
  inputs: Record<string, { description?: string; default?: string }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string };
}

const actionYml = parse(
  readFileSync(resolve(import.meta.dirname, "../../../action.yml"), "utf8"),
) as ActionYml;

const OUTPUTS = [
  "version",
  "manifest-key",
  "uploaded",
  "copied",
  "removed",
  "skills",
  "changed-skills",
  "notified",
  "current",
  "outcome",
];

describe("action.yml", () => {
  it("runs the bundle on node24", () => {
    expect(actionYml.runs).toEqual({ using: "node24", main: "dist/index.js" });
  });

  it("declares every input read", () => {
    expect(Object.keys(actionYml.inputs).sort()).toEqual(Object.values(INPUT_NAMES).sort());
  });

  it("describes every input and output", () => {
    for (const [name, input] of Object.entries(actionYml.inputs)) {
      expect(input.description, name).toMatch(/\S/);
    }
    for (const [name, output] of Object.entries(actionYml.outputs)) {
      expect(output.description, name).toMatch(/\S/);
    }
  });

  it("declares every output set", () => {
    expect(Object.keys(actionYml.outputs).sort()).toEqual([...OUTPUTS].sort());
  });

  it("defaults match the settings", () => {
    expect(actionYml.inputs["skills-path"]?.default).toBe(DEFAULTS.skillsPath);
    expect(actionYml.inputs.region?.default).toBe(DEFAULTS.region);
    expect(actionYml.inputs.channel?.default).toBe(DEFAULTS.channel);
    expect(actionYml.inputs.validation?.default).toBe(DEFAULTS.validation);
    expect(actionYml.inputs.concurrency?.default).toBe(DEFAULTS.concurrency);
    expect(actionYml.inputs["dry-run"]?.default).toBe("false");
  });
});
