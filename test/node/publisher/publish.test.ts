import { createHash } from "node:crypto";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { headSchema } from "../../../core/head.ts";
import { parseManifest } from "../../../core/manifest.ts";
import { PublishError, publish } from "../../../publisher/publish.ts";
import { s3Error, startFaultProxy } from "./fault-proxy.ts";
import { createHarness, type Harness, recordingLogger, skillFile } from "./harness.ts";

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const FILES: Record<string, string> = {
  "skills/pdf/SKILL.md": skillFile("pdf"),
  "skills/pdf/references/guide.md": "# Guide\n",
  "skills/pdf/references/old-name.md": "Renamed without changes.\n",
  "skills/pdf/references/obsolete.md": "Deleted later.\n",
  "skills/xlsx/SKILL.md": skillFile("xlsx"),
  "skills/xlsx/data/table.csv": "a,b\n1,2\n",
};

async function writeAll(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) await h.repo.write(path, content);
}

async function rejection(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof PublishError) return error;
    throw error;
  }
  throw new Error("expected the publish to fail");
}

/** Commits FILES plus an executable script and returns the sha. */
async function firstCommit(): Promise<string> {
  await writeAll(FILES);
  await h.repo.write("skills/pdf/scripts/run.sh", "#!/bin/sh\necho hi\n", 0o755);
  await h.repo.write("README.md", "Not published.\n");
  return h.repo.commit({ message: "Add skills" });
}

describe("publish", () => {
  it("uploads everything on first publish", async () => {
    const sha = await firstCommit();
    const logger = recordingLogger();

    const result = await publish(h.settings(), logger);

    expect(result.outcome).toBe("published");
    expect(result.version).toBe(sha);
    expect(result.base).toBeNull();
    expect(result.uploaded).toBe(7);
    expect(result.copied).toBe(0);
    expect(result.removed).toBe(0);
    expect(result.skills).toEqual(["pdf", "xlsx"]);
    expect(result.changedSkills).toEqual(["pdf", "xlsx"]);
    expect(result.skillChanges.map((skill) => skill.status)).toEqual(["added", "added"]);
    expect(result.notified).toBe(false);
    expect(result.notifySkipped).toBe("no webhook URL configured");
    expect(
      logger.lines.some((line) => line.level === "warn" && line.message.includes("No head")),
    ).toBe(true);

    const expected = { ...FILES, "skills/pdf/scripts/run.sh": "#!/bin/sh\necho hi\n" };
    const keys = await h.keys(`versions/${sha}/`);
    expect(keys).toEqual(
      Object.keys(expected)
        .map((path) => `versions/${sha}/${path.slice("skills/".length)}`)
        .sort(),
    );
    for (const [path, content] of Object.entries(expected)) {
      const stored = await h.object(`versions/${sha}/${path.slice("skills/".length)}`);
      expect(stored.bytes.toString("utf8"), path).toBe(content);
      expect(stored.metadata.sha256, path).toBe(sha256(content));
      expect(stored.metadata.commit, path).toBe(sha);
      expect(stored.metadata.mtime, path).toBe(String(Date.parse("2026-01-02T03:04:05Z") / 1000));
      const executable = path.endsWith(".sh");
      expect(stored.metadata.mode, path).toBe(executable ? "33261" : "33188");
    }
    expect((await h.object(`versions/${sha}/pdf/SKILL.md`)).contentType).toBe(
      "text/markdown; charset=utf-8",
    );

    const manifestObject = await h.object(`manifests/${sha}.json`);
    const manifestText = manifestObject.bytes.toString("utf8");
    const manifest = parseManifest(manifestText);
    expect(manifestObject.contentType).toBe("application/json");
    expect(manifestObject.metadata.sha256).toBe(sha256(manifestText));
    expect(result.manifestSha256).toBe(sha256(manifestText));
    expect(result.manifestKey).toBe(`manifests/${sha}.json`);
    expect(manifest.version).toBe(sha);
    expect(manifest.repository).toBe("acme/skills");
    expect(manifest.commit).toEqual({
      sha,
      message: "Add skills",
      author: { name: "Ada Lovelace", email: "ada@example.com" },
      timestamp: "2026-01-02T03:04:05+00:00",
      dirty: false,
    });
    expect(manifest.skills.map((skill) => [skill.name, skill.description, skill.files])).toEqual([
      ["pdf", "Does pdf things.", 5],
      ["xlsx", "Does xlsx things.", 2],
    ]);
    const script = manifest.files.find((file) => file.path === "pdf/scripts/run.sh");
    expect(script?.mode).toBe(0o100755);

    const head = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(head.version).toBe(sha);
    expect(head.base).toBeNull();
    expect(head.manifestKey).toBe(`manifests/${sha}.json`);
    expect(head.manifestSha256).toBe(sha256(manifestText));
    expect(head.commit).toEqual({ sha, timestamp: "2026-01-02T03:04:05+00:00" });
    expect(head.run).toEqual({ id: "1", attempt: 1, url: null });
  });

  it("copies unchanged files on the next commit", async () => {
    const first = await firstCommit();
    await publish(h.settings(), recordingLogger());
    const firstKeys = await h.keys(`versions/${first}/`);
    const firstManifest = await h.text(`manifests/${first}.json`);

    await h.repo.write("skills/pdf/references/guide.md", "# Guide\n\nNew section.\n");
    await h.repo.remove("skills/pdf/references/old-name.md");
    await h.repo.write(
      "skills/pdf/references/new-name.md",
      FILES["skills/pdf/references/old-name.md"] ?? "",
    );
    await h.repo.remove("skills/pdf/references/obsolete.md");
    const second = await h.repo.commit({ message: "Edit the guide", date: "2026-01-03T00:00:00Z" });
    const logger = recordingLogger();

    const result = await publish(h.settings(), logger);

    expect(result.outcome).toBe("published");
    expect(result.version).toBe(second);
    expect(result.base).toBe(first);
    expect(result.uploaded).toBe(1);
    expect(result.copied).toBe(5);
    expect(result.removed).toBe(2);
    expect(result.bytesUploaded).toBeGreaterThan(0);
    expect(result.changedSkills).toEqual(["pdf"]);
    expect(result.skillChanges.find((skill) => skill.name === "xlsx")?.status).toBe("unchanged");

    const prefix = `versions/${second}/`;
    expect(await h.keys(prefix)).toEqual(
      [
        "pdf/SKILL.md",
        "pdf/references/guide.md",
        "pdf/references/new-name.md",
        "pdf/scripts/run.sh",
        "xlsx/SKILL.md",
        "xlsx/data/table.csv",
      ].map((path) => prefix + path),
    );
    expect(await h.text(`${prefix}pdf/references/guide.md`)).toBe("# Guide\n\nNew section.\n");
    expect(await h.text(`${prefix}pdf/references/new-name.md`)).toBe("Renamed without changes.\n");
    const copiedScript = await h.object(`${prefix}pdf/scripts/run.sh`);
    expect(copiedScript.bytes.toString()).toBe("#!/bin/sh\necho hi\n");
    expect(copiedScript.metadata.mode).toBe("33261");
    expect((await h.object(`${prefix}pdf/references/guide.md`)).metadata.commit).toBe(second);

    // The first version is untouched.
    expect(await h.keys(`versions/${first}/`)).toEqual(firstKeys);
    expect(await h.text(`versions/${first}/pdf/references/guide.md`)).toBe("# Guide\n");
    expect(await h.text(`manifests/${first}.json`)).toBe(firstManifest);

    const head = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(head.version).toBe(second);
    expect(head.base).toBe(first);
  });

  it("republishes a re-run without object writes", async () => {
    const sha = await firstCommit();
    const first = await publish(h.settings(), recordingLogger());
    const headBefore = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    const timesBefore = await h.fileTimes();

    const result = await publish(
      h.settings({ source: { ...h.settings().source, run: { id: "1", attempt: 2, url: null } } }),
      recordingLogger(),
    );

    expect(result.outcome).toBe("republished");
    expect(result.version).toBe(sha);
    expect(result.uploaded).toBe(0);
    expect(result.copied).toBe(0);
    expect(result.removed).toBe(0);
    expect(result.manifestSha256).toBe(first.manifestSha256);
    const timesAfter = await h.fileTimes();
    for (const [path, time] of timesBefore) {
      if (path.includes("heads")) continue;
      expect(timesAfter.get(path), path).toBe(time);
    }
    const headAfter = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(headAfter.run?.attempt).toBe(2);
    expect(headAfter.publishedAt >= headBefore.publishedAt).toBe(true);
    expect(headAfter.version).toBe(sha);
  });

  it("publishes the same version to a second channel", async () => {
    const sha = await firstCommit();
    const first = await publish(h.settings(), recordingLogger());
    const keysBefore = await h.keys("versions/");

    const result = await publish(h.settings({ channel: "staging" }), recordingLogger());

    expect(result.outcome).toBe("republished");
    expect(result.channel).toBe("staging");
    expect(result.base).toBeNull();
    expect(await h.keys("versions/")).toEqual(keysBefore);
    const staging = headSchema.parse(JSON.parse(await h.text("heads/staging.json")));
    expect(staging.version).toBe(sha);
    expect(staging.manifestSha256).toBe(first.manifestSha256);
    const production = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(production.version).toBe(sha);
  });

  it("plans against nothing without a usable head", async () => {
    await firstCommit();
    await publish(h.settings(), recordingLogger());
    await h.repo.write("skills/xlsx/SKILL.md", skillFile("xlsx", "Edits spreadsheets."));
    const second = await h.repo.commit({ message: "Rewrite" });

    for (const broken of ["missing", "garbage", "no manifest"]) {
      const channel = `ch-${broken.replace(" ", "-")}`;
      if (broken === "garbage") await h.putText(`heads/${channel}.json`, "{not json");
      if (broken === "no manifest") {
        await h.putText(
          `heads/${channel}.json`,
          JSON.stringify({
            ...JSON.parse(await h.text("heads/production.json")),
            channel,
            version: "f".repeat(40),
            manifestKey: `manifests/${"f".repeat(40)}.json`,
          }),
        );
      }
      await h.client.send(
        new DeleteObjectCommand({ Bucket: h.s3.bucket, Key: `manifests/${second}.json` }),
      );
      const logger = recordingLogger();

      const result = await publish(h.settings({ channel }), logger);

      expect(result.outcome, broken).toBe("published");
      expect(result.base, broken).toBeNull();
      expect(result.uploaded, broken).toBe(7);
      expect(result.copied, broken).toBe(0);
      expect(
        logger.lines.some((line) => line.level === "warn"),
        broken,
      ).toBe(true);
      const manifest = parseManifest(await h.text(`manifests/${second}.json`));
      expect(manifest.files).toHaveLength(7);
      expect(await h.text(`versions/${second}/xlsx/SKILL.md`)).toBe(
        skillFile("xlsx", "Edits spreadsheets."),
      );
    }
  });

  it("completes a version after an interrupted run", async () => {
    const sha = await firstCommit();
    const clean = await publish(h.settings({ store: h.storeSettings("clean") }), recordingLogger());
    const proxy = await startFaultProxy(h.s3.endpoint);
    let puts = 0;
    proxy.decide = (request) => {
      if (request.method !== "PUT") return { kind: "forward" };
      puts += 1;
      return puts <= 3
        ? { kind: "forward" }
        : { kind: "respond", status: 403, body: s3Error("AccessDenied", "Stopped") };
    };
    try {
      const error = await rejection(
        publish(
          h.settings({ store: { ...h.storeSettings(), endpoint: proxy.endpoint } }),
          recordingLogger(),
        ),
      );
      expect(error.code).toBe("store");
      expect(error.message).toContain("manifest was not written");
    } finally {
      await proxy.close();
    }
    expect(await h.exists(`manifests/${sha}.json`)).toBe(false);
    expect(await h.exists("heads/production.json")).toBe(false);
    expect((await h.keys(`versions/${sha}/`)).length).toBe(3);

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    expect(result.manifestSha256).toBe(clean.manifestSha256);
    expect(await h.text(`manifests/${sha}.json`)).toBe(await h.text(`clean/manifests/${sha}.json`));
    expect((await h.keys(`versions/${sha}/`)).length).toBe(7);
  });

  it("rejects a version whose files differ", async () => {
    const sha = await firstCommit();
    await publish(h.settings(), recordingLogger());
    const manifest = parseManifest(await h.text(`manifests/${sha}.json`));
    const tampered = {
      ...manifest,
      files: manifest.files.map((file, index) =>
        index === 0 ? { ...file, sha256: "0".repeat(64) } : file,
      ),
    };
    await h.putText(`manifests/${sha}.json`, JSON.stringify(tampered));

    const error = await rejection(publish(h.settings(), recordingLogger()));

    expect(error.code).toBe("version-conflict");
    expect(error.message).toContain(sha);
    expect(error.message).toContain("different files");
  });

  it("writes nothing in a dry run", async () => {
    await firstCommit();
    await publish(h.settings(), recordingLogger());
    await h.repo.write("skills/pdf/references/guide.md", "Changed.\n");
    const second = await h.repo.commit({ message: "Change" });
    const keysBefore = await h.keys();
    const timesBefore = await h.fileTimes();

    const result = await publish(h.settings({ dryRun: true }), recordingLogger());

    expect(result.outcome).toBe("planned");
    expect(result.version).toBe(second);
    expect(result.uploaded).toBe(1);
    expect(result.copied).toBe(6);
    expect(result.notified).toBe(false);
    expect(await h.keys()).toEqual(keysBefore);
    expect(await h.fileTimes()).toEqual(timesBefore);
  });

  it("plans a dry run without a bucket", async () => {
    await firstCommit();
    const result = await publish(h.settings({ dryRun: true, store: undefined }), recordingLogger());
    expect(result.outcome).toBe("planned");
    expect(result.uploaded).toBe(7);
    expect(result.base).toBeNull();
    expect(await h.keys()).toEqual([]);
  });

  it("writes under a root prefix", async () => {
    const sha = await firstCommit();
    const result = await publish(
      h.settings({ store: h.storeSettings("/team/skills/") }),
      recordingLogger(),
    );
    expect(result.manifestKey).toBe(`team/skills/manifests/${sha}.json`);
    expect(await h.exists(`team/skills/manifests/${sha}.json`)).toBe(true);
    expect(await h.exists("team/skills/heads/production.json")).toBe(true);
    expect(await h.text(`team/skills/versions/${sha}/pdf/SKILL.md`)).toBe(skillFile("pdf"));
    expect((await h.keys()).every((key) => key.startsWith("team/skills/"))).toBe(true);
  });

  it("rejects a webhook URL that is not HTTP", async () => {
    await firstCommit();
    const secret = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
    const notify = { url: "ftp://127.0.0.1/publish", secret, attempts: 1, timeoutMs: 1000 };
    const error = await rejection(publish(h.settings({ notify }), recordingLogger()));
    expect(error.code).toBe("invalid-settings");
    expect(error.message).toContain("webhook URL");
    expect(await h.keys()).toEqual([]);
  });

  it("rejects an invalid channel", async () => {
    await firstCommit();
    const error = await rejection(publish(h.settings({ channel: "Prod!" }), recordingLogger()));
    expect(error.code).toBe("invalid-settings");
    expect(error.message).toContain("Prod!");
  });

  it("uploads a large file in parts", async () => {
    await firstCommit();
    const large = Buffer.alloc(9 * 1024 * 1024 + 3, 7);
    await h.repo.write("skills/pdf/assets/large.bin", large);
    const sha = await h.repo.commit({ message: "Add a large asset" });

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("published");
    const stored = await h.object(`versions/${sha}/pdf/assets/large.bin`);
    expect(stored.bytes.equals(large)).toBe(true);
    expect(stored.metadata.sha256).toBe(sha256(large));
  });
});

describe("publish renames", () => {
  it("uploads a rename that changes the type", async () => {
    await firstCommit();
    await publish(h.settings(), recordingLogger());
    await h.repo.remove("skills/pdf/references/old-name.md");
    await h.repo.write(
      "skills/pdf/references/old-name.txt",
      FILES["skills/pdf/references/old-name.md"] ?? "",
    );
    await h.repo.write(
      "skills/pdf/references/copy-of-guide.md",
      FILES["skills/pdf/references/guide.md"] ?? "",
    );
    const sha = await h.repo.commit({ message: "Rename to text" });

    const result = await publish(h.settings(), recordingLogger());

    expect(result.uploaded).toBe(1);
    expect(result.copied).toBe(7);
    const renamed = await h.object(`versions/${sha}/pdf/references/old-name.txt`);
    expect(renamed.contentType).toBe("text/plain; charset=utf-8");
    expect(renamed.bytes.toString()).toBe("Renamed without changes.\n");
    const duplicate = await h.object(`versions/${sha}/pdf/references/copy-of-guide.md`);
    expect(duplicate.contentType).toBe("text/markdown; charset=utf-8");
    expect(duplicate.bytes.toString()).toBe("# Guide\n");
  });
});

describe("publish recovery", () => {
  it("uploads when a base object is missing", async () => {
    const first = await firstCommit();
    await publish(h.settings(), recordingLogger());
    await h.client.send(
      new DeleteObjectCommand({
        Bucket: h.s3.bucket,
        Key: `versions/${first}/xlsx/data/table.csv`,
      }),
    );
    await h.repo.write("skills/pdf/references/guide.md", "Changed.\n");
    const second = await h.repo.commit({ message: "Change" });
    const logger = recordingLogger();

    const result = await publish(h.settings(), logger);

    expect(result.outcome).toBe("published");
    expect(result.uploaded).toBe(2);
    expect(result.copied).toBe(5);
    expect(await h.text(`versions/${second}/xlsx/data/table.csv`)).toBe("a,b\n1,2\n");
    const warning = logger.lines.find(
      (line) => line.level === "warn" && line.message.includes("table.csv"),
    );
    expect(warning?.message).toContain("missing from the base version");
  });

  it("keeps a head that names a newer commit", async () => {
    await writeAll(FILES);
    const older = await h.repo.commit({ message: "Older", date: "2026-01-01T00:00:00Z" });
    await h.repo.write("skills/pdf/references/guide.md", "Changed.\n");
    const newer = await h.repo.commit({ message: "Newer", date: "2026-01-02T00:00:00Z" });
    await publish(h.settings(), recordingLogger());
    await h.repo.git("checkout", "--quiet", older);
    const logger = recordingLogger();

    const result = await publish(h.settings(), logger);

    expect(result.outcome).toBe("published");
    expect(result.version).toBe(older);
    const head = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(head.version).toBe(newer);
    expect(
      logger.lines.some((line) => line.level === "warn" && line.message.startsWith("Kept")),
    ).toBe(true);
  });

  it("moves the head to a republished version of the same time", async () => {
    const first = await firstCommit();
    const original = await publish(h.settings(), recordingLogger());
    await h.repo.write("skills/pdf/references/guide.md", "Changed.\n");
    await h.repo.commit({ message: "Change" });
    await publish(h.settings(), recordingLogger());
    await h.repo.git("checkout", "--quiet", first);

    const result = await publish(h.settings(), recordingLogger());

    expect(result.outcome).toBe("republished");
    expect(result.version).toBe(first);
    expect(result.base).toBeNull();
    expect(result.manifestSha256).toBe(original.manifestSha256);
    const head = headSchema.parse(JSON.parse(await h.text("heads/production.json")));
    expect(head.version).toBe(first);
  });

  it("plans no writes for a published version", async () => {
    const sha = await firstCommit();
    await publish(h.settings(), recordingLogger());

    const result = await publish(
      h.settings({ dryRun: true, channel: "staging" }),
      recordingLogger(),
    );

    expect(result.outcome).toBe("planned");
    expect(result.version).toBe(sha);
    expect(result.uploaded).toBe(0);
    expect(result.copied).toBe(0);
    expect(result.bytesUploaded).toBe(0);
  });

  it("rejects a conflicting version in a dry run", async () => {
    const sha = await firstCommit();
    await publish(h.settings(), recordingLogger());
    const manifest = parseManifest(await h.text(`manifests/${sha}.json`));
    await h.putText(
      `manifests/${sha}.json`,
      JSON.stringify({
        ...manifest,
        files: manifest.files.slice(1),
        totals: { files: 6, bytes: 1 },
      }),
    );

    const error = await rejection(publish(h.settings({ dryRun: true }), recordingLogger()));

    expect(error.code).toBe("version-conflict");
  });

  it("rejects an unreadable existing manifest", async () => {
    const sha = await firstCommit();
    await h.putText(`manifests/${sha}.json`, "{broken");

    const error = await rejection(publish(h.settings(), recordingLogger()));

    expect(error.code).toBe("version-conflict");
    expect(error.message).toContain(`manifests/${sha}.json`);
    expect(await h.keys("versions/")).toEqual([]);
  });

  it("reads the bucket state once while validating", async () => {
    const sha = await firstCommit();
    const proxy = await startFaultProxy(h.s3.endpoint);
    try {
      const logger = recordingLogger();
      const settings = h.settings();
      if (settings.store !== undefined) settings.store.endpoint = proxy.endpoint;

      const result = await publish(settings, logger);

      expect(result.outcome).toBe("published");
      // Reads before the first write: the plan's. The head is read again before it is replaced.
      const firstPut = proxy.requests.findIndex((request) => request.method === "PUT");
      const reads = proxy.requests.slice(0, firstPut).map((request) => request.url);
      expect(reads.filter((url) => url.includes("/heads/production.json"))).toHaveLength(1);
      expect(reads.filter((url) => url.includes(`/manifests/${sha}.json`))).toHaveLength(1);
      // The prefetched reads log in the plan phase, after validation's lines.
      const found = logger.lines.findIndex((line) => line.message.startsWith("Found 2 skills"));
      const noHead = logger.lines.findIndex((line) => line.message.startsWith("No head at"));
      expect(found).toBeGreaterThanOrEqual(0);
      expect(noHead).toBeGreaterThan(found);
    } finally {
      await proxy.close();
    }
  });

  it("reports invalid skills without waiting for the bucket", async () => {
    await h.repo.write("skills/pdf/SKILL.md", "---\nname: Not Valid\n---\n");
    await h.repo.commit();
    const proxy = await startFaultProxy(h.s3.endpoint);
    proxy.decide = () => ({ kind: "hang" });
    try {
      const settings = h.settings();
      if (settings.store !== undefined) settings.store.endpoint = proxy.endpoint;

      const result = await publish(settings, recordingLogger());

      expect(result.outcome).toBe("invalid");
      expect(result.problems.some((problem) => problem.severity === "error")).toBe(true);
      // The reads started during validation; the requests hang, and the publish did not wait.
      expect(proxy.requests.length).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it("rejects object keys over the S3 limit before writing", async () => {
    const longName = `${"n".repeat(200)}.md`;
    await h.repo.write("skills/pdf/SKILL.md", skillFile("pdf"));
    await h.repo.write(
      `skills/pdf/${"d".repeat(200)}/${"e".repeat(200)}/${"f".repeat(200)}/${longName}`,
      "x\n",
    );
    await h.repo.commit();
    const settings = h.settings({ store: h.storeSettings("team/".repeat(40)) });

    const error = await rejection(publish(settings, recordingLogger()));

    expect(error.code).toBe("invalid-settings");
    expect(error.message).toContain("1024-byte limit");
    expect(error.message).toContain(longName);
    expect(await h.keys()).toEqual([]);
  });

  it("keeps retry warnings of a failed validation out of the log", async () => {
    await h.repo.write("skills/pdf/SKILL.md", "---\nname: Not Valid\n---\n");
    await h.repo.commit();
    const proxy = await startFaultProxy(h.s3.endpoint);
    proxy.decide = () => ({ kind: "respond", status: 503, body: s3Error("SlowDown", "Slow") });
    try {
      const settings = h.settings();
      if (settings.store !== undefined) settings.store.endpoint = proxy.endpoint;
      const logger = recordingLogger();

      const result = await publish(settings, logger);

      expect(result.outcome).toBe("invalid");
      expect(logger.lines.filter((line) => line.message.includes("retrying"))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
