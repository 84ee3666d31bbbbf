import { execFile, spawn } from "node:child_process";
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pollUntil } from "../../../local/mount.ts";
import { type TreeWatcher, watchTree } from "../../../local/watch.ts";

const execFileAsync = promisify(execFile);

const TSX = resolve("node_modules/.bin/tsx");
const WATCH_MODULE = resolve("local/watch.ts");

/** Generous, because the test machine may be slow and shared; no test relies on it being fast. */
const EVENT_TIMEOUT_MS = 20_000;
/** How long the watcher must stay silent before a step counts as settled. */
const QUIET_MS = 600;
/** How long a closed or ignoring watcher is given to call back by mistake. */
const SILENCE_MS = 1_500;
const DEBOUNCE_MS = 50;

interface Recorder {
  watcher: TreeWatcher;
  /** The paths of each `onChange` call, in order. */
  calls: string[][];
  errors: Error[];
  lastCallAt: number;
}

let dir: string;
let root: string;
let recorders: Recorder[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "r2-skills-watch-"));
  root = join(dir, "skills");
  await mkdir(join(root, "x"), { recursive: true });
  await writeFile(join(root, "x", "SKILL.md"), "first\n");
  recorders = [];
});

afterEach(async () => {
  for (const recorder of recorders) await recorder.watcher.close();
  await rm(dir, { recursive: true, force: true });
});

async function startWatching(ignore?: string[]): Promise<Recorder> {
  const recorder: Recorder = {
    calls: [],
    errors: [],
    lastCallAt: Date.now(),
    watcher: watchTree(root, {
      debounceMs: DEBOUNCE_MS,
      ignore,
      onChange: (paths) => {
        recorder.calls.push(paths);
        recorder.lastCallAt = Date.now();
      },
      onError: (error) => recorder.errors.push(error),
    }),
  };
  recorders.push(recorder);
  await recorder.watcher.ready;
  return recorder;
}

/** Waits until a call reports `path`, then until the watcher has been quiet for a while. */
async function expectReported(recorder: Recorder, path: string): Promise<void> {
  await pollUntil(
    async () => recorder.calls.some((paths) => paths.includes(path)),
    EVENT_TIMEOUT_MS,
    () => `no change reported for ${path}; calls: ${JSON.stringify(recorder.calls)}`,
  );
  // Late events of this step must not be mistaken for the next step's.
  await pollUntil(
    async () => Date.now() - recorder.lastCallAt >= QUIET_MS,
    EVENT_TIMEOUT_MS,
    () => `the watcher never went quiet; calls: ${JSON.stringify(recorder.calls)}`,
  );
  expect(recorder.errors).toEqual([]);
  recorder.calls.length = 0;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((done) => setTimeout(done, ms));
}

describe("watchTree", () => {
  it("reports a plain write", async () => {
    const recorder = await startWatching();
    await writeFile(join(root, "x", "SKILL.md"), "second\n");
    await expectReported(recorder, "x/SKILL.md");
  });

  it("reports appends after rename-replace saves", async () => {
    const recorder = await startWatching();
    const file = join(root, "x", "SKILL.md");
    for (let round = 1; round <= 3; round++) {
      // mv over the file, as JetBrains "safe write" and vim's default save do.
      await writeFile(join(root, "x", "SKILL.md.tmp"), `replaced ${round}\n`);
      await rename(join(root, "x", "SKILL.md.tmp"), file);
      await expectReported(recorder, "x/SKILL.md");
      await appendFile(file, `after mv ${round}\n`);
      await expectReported(recorder, "x/SKILL.md");

      await execFileAsync("sed", ["-i", `s/replaced/edited ${round}/`, file]);
      await expectReported(recorder, "x/SKILL.md");
      await appendFile(file, `after sed ${round}\n`);
      await expectReported(recorder, "x/SKILL.md");
    }
  });

  it("reports a new nested folder and files in it", async () => {
    const recorder = await startWatching();
    await mkdir(join(root, "new", "deep", "er"), { recursive: true });
    await expectReported(recorder, "new/deep/er");
    await writeFile(join(root, "new", "deep", "er", "notes.md"), "one\n");
    await expectReported(recorder, "new/deep/er/notes.md");
    await appendFile(join(root, "new", "deep", "er", "notes.md"), "two\n");
    await expectReported(recorder, "new/deep/er/notes.md");
  });

  it("reports a deleted folder", async () => {
    await mkdir(join(root, "gone", "inner"), { recursive: true });
    await writeFile(join(root, "gone", "inner", "notes.md"), "one\n");
    const recorder = await startWatching();
    await rm(join(root, "gone"), { recursive: true });
    await expectReported(recorder, "gone");
  });

  it("reports a renamed folder and later writes in it", async () => {
    await mkdir(join(root, "old", "inner"), { recursive: true });
    await writeFile(join(root, "old", "inner", "notes.md"), "one\n");
    const recorder = await startWatching();
    await rename(join(root, "old"), join(root, "new"));
    await pollUntil(
      async () => {
        const reported = recorder.calls.flat();
        return reported.includes("old") && reported.includes("new");
      },
      EVENT_TIMEOUT_MS,
      () => `the rename was not reported as old and new; calls: ${JSON.stringify(recorder.calls)}`,
    );
    await expectReported(recorder, "new");
    await appendFile(join(root, "new", "inner", "notes.md"), "two\n");
    await expectReported(recorder, "new/inner/notes.md");
  });

  it("reports the root deleted and created again", async () => {
    const recorder = await startWatching();
    await rm(root, { recursive: true });
    await expectReported(recorder, "");
    await mkdir(root);
    await expectReported(recorder, "");
    await writeFile(join(root, "SKILL.md"), "back\n");
    await expectReported(recorder, "SKILL.md");
  });

  it("reports a retargeted symbolic link", async () => {
    await writeFile(join(root, "x", "other.md"), "other\n");
    await symlink("SKILL.md", join(root, "x", "link.md"));
    const recorder = await startWatching();
    await rm(join(root, "x", "link.md"));
    await symlink("other.md", join(root, "x", "link.md"));
    await expectReported(recorder, "x/link.md");
  });

  it("reports editor swap files", async () => {
    const recorder = await startWatching();
    await writeFile(join(root, "x", ".SKILL.md.swp"), "swap\n");
    await expectReported(recorder, "x/.SKILL.md.swp");
  });

  it("reports a .git entry but not its contents", async () => {
    const recorder = await startWatching();
    await mkdir(join(root, "x", ".git"));
    await expectReported(recorder, "x/.git");
    await writeFile(join(root, "x", ".git", "HEAD"), "ref: refs/heads/main\n");
    // A later write elsewhere shows the watcher has seen everything before it.
    await writeFile(join(root, "x", "marker.md"), "marker\n");
    await pollUntil(
      async () => recorder.calls.some((paths) => paths.includes("x/marker.md")),
      EVENT_TIMEOUT_MS,
      () => `no change reported for x/marker.md; calls: ${JSON.stringify(recorder.calls)}`,
    );
    expect(recorder.calls.flat()).not.toContain("x/.git/HEAD");
  });

  it("leaves out the ignore paths", async () => {
    await mkdir(join(root, "state"));
    const recorder = await startWatching([join(root, "state")]);
    await writeFile(join(root, "state", "data.json"), "{}\n");
    await writeFile(join(root, "x", "marker.md"), "marker\n");
    await pollUntil(
      async () => recorder.calls.some((paths) => paths.includes("x/marker.md")),
      EVENT_TIMEOUT_MS,
      () => `no change reported for x/marker.md; calls: ${JSON.stringify(recorder.calls)}`,
    );
    expect(recorder.calls.flat()).not.toContain("state/data.json");
  });

  it("sends onChange failures to onError", async () => {
    const errors: Error[] = [];
    const watcher = watchTree(root, {
      debounceMs: DEBOUNCE_MS,
      onChange: () => {
        throw new Error("callback failed");
      },
      onError: (error) => errors.push(error),
    });
    recorders.push({ watcher, calls: [], errors: [], lastCallAt: 0 });
    await watcher.ready;
    await writeFile(join(root, "x", "SKILL.md"), "second\n");
    await pollUntil(
      async () => errors.length > 0,
      EVENT_TIMEOUT_MS,
      () => "onError was never called",
    );
    expect(errors[0]?.message).toBe("callback failed");
  });

  it("stops calling back after close", async () => {
    const recorder = await startWatching();
    await writeFile(join(root, "x", "SKILL.md"), "second\n");
    await expectReported(recorder, "x/SKILL.md");

    // A change still in its debounce window when close() runs is dropped.
    await appendFile(join(root, "x", "SKILL.md"), "third\n");
    await recorder.watcher.close();
    await appendFile(join(root, "x", "SKILL.md"), "fourth\n");
    await mkdir(join(root, "after-close"));
    await sleep(SILENCE_MS);
    expect(recorder.calls).toEqual([]);
    expect(recorder.errors).toEqual([]);
  });

  it("lets the process exit after close", async () => {
    const script = join(dir, "watch-and-close.mts");
    await writeFile(
      script,
      [
        `import { appendFile } from "node:fs/promises";`,
        `import { watchTree } from ${JSON.stringify(WATCH_MODULE)};`,
        `const root = process.argv[2] ?? "";`,
        `let called = () => {};`,
        `const changed = new Promise<void>((resolve) => { called = resolve; });`,
        `const watcher = watchTree(root, {`,
        `  debounceMs: 50,`,
        `  onChange: () => called(),`,
        `  onError: (error) => { console.error(error); process.exitCode = 1; },`,
        `});`,
        `await watcher.ready;`,
        `await appendFile(root + "/x/SKILL.md", "more\\n");`,
        `await changed;`,
        `await appendFile(root + "/x/SKILL.md", "more\\n");`,
        `await watcher.close();`,
        `console.log("closed");`,
      ].join("\n"),
    );
    const child = spawn(TSX, [script, root], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    let exitCode: number | null | undefined;
    child.once("close", (code) => {
      exitCode = code;
    });
    try {
      await pollUntil(
        async () => exitCode !== undefined,
        EVENT_TIMEOUT_MS * 2,
        () => `the process did not exit after close(); output:\n${output}`,
      );
    } finally {
      if (exitCode === undefined) child.kill("SIGKILL");
    }
    expect(output).toContain("closed");
    expect(exitCode).toBe(0);
  });
});
