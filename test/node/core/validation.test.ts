import { describe, expect, it } from "vitest";
import { parseFrontmatter } from "../../../core/frontmatter.ts";
import {
  type Problem,
  type ValidationLevel,
  validateSkillFile,
  validateTree,
} from "../../../core/validation.ts";

function check(text: string, level: ValidationLevel = "claude-code", folder = "pdf-tools") {
  return validateSkillFile({
    folder,
    file: `skills/${folder}/SKILL.md`,
    text,
    size: text.length,
    level,
  });
}

function errors(problems: Problem[]): string[] {
  return problems.filter((p) => p.severity === "error").map((p) => `${p.line}: ${p.message}`);
}

const VALID =
  "---\nname: pdf-tools\ndescription: Fill and merge PDF forms.\n---\n# PDF tools\n\nSteps.\n";

describe("frontmatter", () => {
  it("reads LF, CRLF and a byte order mark alike", () => {
    const lf = parseFrontmatter(VALID);
    const crlf = parseFrontmatter(`\uFEFF${VALID.replaceAll("\n", "\r\n")}`);
    expect(crlf.fields.map((f) => [f.key, f.value, f.line])).toEqual(
      lf.fields.map((f) => [f.key, f.value, f.line]),
    );
    expect(lf.fields[1]).toMatchObject({ key: "description", line: 3 });
  });

  it("reports an unclosed block on line 1", () => {
    expect(parseFrontmatter("---\nname: x\n").errors).toEqual([
      { line: 1, message: expect.stringContaining("never closed") },
    ]);
  });

  it("reports a duplicate key with its line", () => {
    const result = parseFrontmatter("---\nname: a\ndescription: b\nname: c\n---\n");
    expect(result.errors[0]?.line).toBe(4);
  });
});

describe("validateSkillFile", () => {
  it("accepts a valid skill under strict", () => {
    const result = check(VALID, "strict");
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ name: "pdf-tools", description: "Fill and merge PDF forms." });
  });

  it("rejects a name that is not a string", () => {
    const result = check("---\nname: 123\ndescription: x\n---\nbody\n");
    expect(errors(result.problems)).toEqual([
      '2: "name" must be a string, got the number 123: quote it, as in name: "123"',
    ]);
  });

  it.each([
    ["-pdf", "must use only lowercase"],
    ["pdf-", "must use only lowercase"],
    ["pdf--tools", "must use only lowercase"],
    ["PDF", "must use only lowercase"],
    ["a".repeat(65), "must be 1 to 64 characters"],
  ])("rejects the name %s", (name, reason) => {
    const result = check(`---\nname: ${name}\ndescription: x\n---\nbody\n`, "claude-code", name);
    expect(errors(result.problems)[0]).toContain(reason);
  });

  it("rejects a name that differs from the folder", () => {
    const result = check(VALID, "claude-code", "pdf");
    expect(errors(result.problems)[0]).toContain('must equal the folder name "pdf"');
  });

  it("reports every missing required field", () => {
    const result = check("---\nlicense: MIT\n---\nbody\n");
    expect(errors(result.problems)).toHaveLength(2);
  });

  it("rejects a description over 1024 characters", () => {
    const result = check(`---\nname: pdf-tools\ndescription: ${"x".repeat(1025)}\n---\nbody\n`);
    expect(errors(result.problems)[0]).toContain("1 to 1024 characters, got 1025");
  });

  it("rejects compatibility over 500 characters", () => {
    const text = VALID.replace("---\n#", `compatibility: ${"y".repeat(501)}\n---\n#`);
    expect(errors(check(text).problems)[0]).toContain("compatibility");
  });

  it("rejects a metadata value that is not a string, on its line", () => {
    const text = VALID.replace("---\n#", "metadata:\n  author: me\n  version: 1.0\n---\n#");
    expect(errors(check(text).problems)).toEqual([
      '6: "metadata.version" must be a string, got the number 1.0: quote it, as in version: "1.0"',
    ]);
  });

  it.each([
    [
      "{version: 1.0}",
      '"metadata.version" must be a string, got the number 1.0: quote it, as in version: "1.0"',
    ],
    [
      "{build: 0x1F}",
      '"metadata.build" must be a string, got the number 0x1F: quote it, as in build: "0x1F"',
    ],
    [
      "{beta: true}",
      '"metadata.beta" must be a string, got the boolean true: quote it, as in beta: "true"',
    ],
    [
      "{tags: [pdf, forms]}",
      '"metadata.tags" must be a string, got a list: write the items as one string, as in tags: "pdf, forms"',
    ],
    [
      "{owner: {team: docs}}",
      '"metadata.owner" must be a string, got a mapping: write one quoted string instead',
    ],
    [
      "{version: }",
      '"metadata.version" is empty: write a value after "version:", or remove the line',
    ],
  ])("explains the metadata value %s", (metadata, message) => {
    const text = VALID.replace("---\n#", `metadata: ${metadata}\n---\n#`);
    expect(errors(check(text).problems)).toEqual([`4: ${message}`]);
  });

  it.each([
    ["description:", 3],
    ['description: "  "', 3],
  ])("reports an empty description: %s", (line, lineNumber) => {
    const text = `---\nname: pdf-tools\n${line}\n---\nbody\n`;
    expect(errors(check(text).problems)).toEqual([
      `${lineNumber}: "description" is empty: say what the skill does and when to use it, in 1 to 1024 characters`,
    ]);
  });

  it("reads values through YAML aliases", () => {
    const text =
      "---\nx: &text Fills PDF forms. Use for forms.\nname: pdf-tools\ndescription: *text\nmetadata:\n  owner: *text\n---\nbody\n";
    expect(errors(check(text).problems)).toEqual([]);
  });

  it("reports an alias bomb instead of expanding it", () => {
    const anchors = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 8; level++) {
      const name = String.fromCharCode(97 + level);
      const previous = String.fromCharCode(96 + level);
      anchors.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(", ")}]`);
    }
    const text = `---\nname: pdf-tools\n${anchors.join("\n")}\ndescription: *h\n---\nbody\n`;
    expect(errors(check(text).problems)).toContain(
      '11: Invalid YAML: the value of "description" expands more than 100 aliases; write it out instead',
    );
  });

  it("reports an empty name with the fix", () => {
    const text = "---\nname:\ndescription: Fill forms.\n---\nbody\n";
    expect(errors(check(text).problems)).toEqual([
      '2: "name" is empty: write "name: pdf-tools", the skill\'s folder name',
    ]);
  });

  it("reports null as null, not as empty", () => {
    const text = "---\nname: pdf-tools\ndescription: ~\n---\nbody\n";
    expect(errors(check(text).problems)).toEqual([
      '3: "description" must be a string, got null: write one quoted string instead',
    ]);
  });

  it("warns on an unknown field under claude-code and fails under strict", () => {
    const text = VALID.replace("---\n#", "colour: blue\n---\n#");
    const relaxed = check(text, "claude-code").problems;
    expect(relaxed).toEqual([expect.objectContaining({ severity: "warning", line: 4 })]);
    expect(errors(check(text, "strict").problems)[0]).toContain('Unknown field "colour"');
  });

  it("accepts Claude Code fields only under claude-code", () => {
    const text = VALID.replace("---\n#", "model: sonnet\ndisable-model-invocation: true\n---\n#");
    expect(check(text, "claude-code").problems).toEqual([]);
    expect(errors(check(text, "strict").problems)).toHaveLength(2);
  });

  it("accepts allowed-tools as a list only under claude-code", () => {
    const text = VALID.replace("---\n#", "allowed-tools:\n  - Read\n  - Bash\n---\n#");
    expect(check(text, "claude-code").problems).toEqual([]);
    expect(errors(check(text, "strict").problems)[0]).toContain('"allowed-tools" must be a string');
  });

  it("does not coerce booleans into strings", () => {
    const text = "---\nname: pdf-tools\ndescription: true\n---\nbody\n";
    expect(errors(check(text).problems)[0]).toContain("got the boolean true");
  });

  it("rejects a SKILL.md over 1 MiB without parsing it", () => {
    const result = validateSkillFile({
      folder: "pdf-tools",
      file: "skills/pdf-tools/SKILL.md",
      text: "",
      size: 2 * 1024 * 1024,
      level: "claude-code",
    });
    expect(errors(result.problems)[0]).toContain("over the limit");
  });
});

describe("validateTree", () => {
  it("finds skills and folders without SKILL.md", () => {
    const result = validateTree({
      root: "skills",
      paths: ["a/SKILL.md", "a/scripts/run.sh", "b/notes.md", "README.md"],
    });
    expect(result.skills).toEqual(["a"]);
    expect(result.problems).toEqual([
      expect.objectContaining({ severity: "warning", file: "skills/README.md" }),
      expect.objectContaining({ severity: "error", file: "skills/b" }),
    ]);
  });

  it("rejects names equal under Unicode normalization", () => {
    const result = validateTree({
      root: "skills",
      paths: ["a/SKILL.md", "a/caf\u00e9.md", "a/cafe\u0301.md"],
    });
    expect(result.problems.filter((p) => p.severity === "error")).toHaveLength(1);
  });

  it("warns on names equal but for case", () => {
    const result = validateTree({
      root: "skills",
      paths: ["a/SKILL.md", "a/Notes.md", "a/notes.md"],
    });
    expect(result.problems).toEqual([expect.objectContaining({ severity: "warning" })]);
  });

  it("rejects unsafe paths", () => {
    const result = validateTree({ root: "skills", paths: ["a/SKILL.md", "a/../../etc/passwd"] });
    expect(result.problems[0]).toMatchObject({
      severity: "error",
      message: expect.stringContaining('".."'),
    });
  });
});
