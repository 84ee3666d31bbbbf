import { describe, expect, it } from "vitest";
import { contentTypeOf } from "../../../core/content-type.ts";
import { buildManifest, MODE_EXECUTABLE, MODE_REGULAR } from "../../../core/manifest.ts";
import {
  decideFile,
  findRenamed,
  indexBase,
  type LocalFile,
  planVersion,
} from "../../../core/plan.ts";

const sha = (c: string): string => c.repeat(64);

function file(
  path: string,
  hash: string,
  mode: typeof MODE_REGULAR | typeof MODE_EXECUTABLE = MODE_REGULAR,
): LocalFile & { mode: typeof MODE_REGULAR | typeof MODE_EXECUTABLE } {
  return { path, size: 10, sha256: sha(hash), mode };
}

function manifestOf(version: string, files: ReturnType<typeof file>[]) {
  const names = [...new Set(files.map((f) => f.path.split("/")[0] ?? ""))];
  return buildManifest({
    version,
    repository: null,
    commit: {
      sha: version,
      message: "m",
      author: { name: "a", email: "a@example.com" },
      timestamp: "2026-01-01T00:00:00Z",
      dirty: false,
    },
    skills: names.map((name) => ({ name, description: "d" })),
    files: files.map((f) => ({ ...f, contentType: contentTypeOf(f.path) })),
  });
}

describe("planVersion", () => {
  it("uploads everything without a base", () => {
    const plan = planVersion([file("a/SKILL.md", "1")], null);
    expect(plan.upload).toHaveLength(1);
    expect(plan.copy).toEqual([]);
    expect(plan.skills).toEqual([expect.objectContaining({ name: "a", status: "added" })]);
  });

  it("copies unchanged files and uploads changed ones", () => {
    const base = manifestOf("1".repeat(40), [
      file("a/SKILL.md", "1"),
      file("a/old.md", "2"),
      file("b/SKILL.md", "3"),
      file("c/SKILL.md", "4"),
    ]);
    const plan = planVersion(
      [
        file("a/SKILL.md", "1"),
        file("a/new.md", "2"),
        file("b/SKILL.md", "5"),
        file("d/SKILL.md", "6"),
      ],
      base,
    );
    expect(plan.copy.map((f) => f.path)).toEqual(["a/SKILL.md"]);
    expect(plan.upload.map((f) => f.path)).toEqual(["a/new.md", "b/SKILL.md", "d/SKILL.md"]);
    expect(plan.remove).toEqual(["a/old.md", "c/SKILL.md"]);
    expect(plan.skills.map((s) => [s.name, s.status])).toEqual([
      ["a", "changed"],
      ["b", "changed"],
      ["c", "removed"],
      ["d", "added"],
    ]);
  });

  it("uploads a file whose mode changed", () => {
    const base = manifestOf("1".repeat(40), [file("a/run.sh", "1")]);
    const plan = planVersion([file("a/run.sh", "1", MODE_EXECUTABLE)], base);
    expect(plan.upload.map((f) => f.path)).toEqual(["a/run.sh"]);
  });

  it("marks a skill that only lost a file as changed", () => {
    const base = manifestOf("1".repeat(40), [file("a/SKILL.md", "1"), file("a/x.md", "2")]);
    const plan = planVersion([file("a/SKILL.md", "1")], base);
    expect(plan.skills).toEqual([expect.objectContaining({ name: "a", status: "changed" })]);
  });
});

describe("decideFile", () => {
  const base = indexBase(
    manifestOf("1".repeat(40), [
      file("a/SKILL.md", "1"),
      file("a/guide.md", "2"),
      file("a/run.sh", "3", MODE_EXECUTABLE),
    ]),
  );

  it.each([
    [
      "an unchanged file from its path",
      file("a/SKILL.md", "1"),
      { kind: "copy", from: "a/SKILL.md" },
    ],
    [
      "a renamed file from the old path",
      file("b/moved.md", "2"),
      { kind: "copy", from: "a/guide.md" },
    ],
    ["new content", file("a/SKILL.md", "9"), { kind: "upload" }],
    ["a changed mode", file("a/run.sh", "3"), { kind: "upload" }],
    ["another content type", file("a/guide.txt", "2"), { kind: "upload" }],
  ])("decides %s", (_case, local, expected) => {
    expect(decideFile(local, base)).toEqual(expected);
  });

  it("uploads everything without a base", () => {
    expect(decideFile(file("a/SKILL.md", "1"), indexBase(null))).toEqual({ kind: "upload" });
  });

  it("uploads a file whose stored content type differs", () => {
    const manifest = manifestOf("1".repeat(40), [file("a/tool.ts", "1")]);
    const older = {
      ...manifest,
      files: manifest.files.map((f) => ({ ...f, contentType: "application/octet-stream" })),
    };
    expect(decideFile(file("a/tool.ts", "1"), indexBase(older))).toEqual({ kind: "upload" });
  });

  it("agrees with the plan and its renames", () => {
    const files = [file("a/SKILL.md", "1"), file("b/moved.md", "2"), file("a/new.md", "8")];
    const manifest = manifestOf("1".repeat(40), [file("a/SKILL.md", "1"), file("a/guide.md", "2")]);
    const plan = planVersion(files, manifest);
    const renamed = findRenamed(plan, indexBase(manifest));
    expect(plan.copy.map((f) => f.path)).toEqual(["a/SKILL.md"]);
    expect([...renamed]).toEqual([["b/moved.md", "a/guide.md"]]);
    expect(files.map((f) => decideFile(f, indexBase(manifest)).kind)).toEqual([
      "copy",
      "copy",
      "upload",
    ]);
  });
});
