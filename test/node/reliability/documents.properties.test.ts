import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseHead } from "../../../core/head.ts";
import { manifestKey } from "../../../core/keys.ts";
import {
  buildManifest,
  InvalidManifestError,
  type ManifestFile,
  MODE_EXECUTABLE,
  MODE_REGULAR,
  parseManifest,
  serializeManifest,
} from "../../../core/manifest.ts";
import { MAX_METADATA_BYTES, metadataBytes, objectMetadata } from "../../../core/metadata.ts";
import { NOTIFICATION_TYPE, parseNotification } from "../../../core/notification.ts";
import { checkRelativePath } from "../../../core/paths.ts";
import {
  anyString,
  channelName,
  commitSha,
  hostileJson,
  isoTimestamp,
  mutateAt,
  pathLike,
  sha256,
  versionId,
} from "./arbitraries.ts";
import { propertyParameters } from "./runs.ts";

const skillName = fc.stringMatching(/^[a-z0-9]{1,10}(?:-[a-z0-9]{1,10}){0,2}$/);
const fileName = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}$/).filter((n) => n !== "..");

/** A valid manifest with up to 4 skills and 12 files. */
const validManifest = fc
  .record({
    version: versionId,
    sha: fc.option(commitSha, { nil: null }),
    message: anyString(200),
    timestamp: isoTimestamp,
    skills: fc.uniqueArray(skillName, { minLength: 1, maxLength: 4 }),
    files: fc.array(
      fc.record({
        skill: fc.nat(),
        name: fc.array(fileName, { minLength: 1, maxLength: 3 }),
        size: fc.nat({ max: 1e9 }),
        sha256,
        executable: fc.boolean(),
      }),
      { maxLength: 12 },
    ),
  })
  .map((input) => {
    const files = new Map<string, ManifestFile>();
    for (const file of input.files) {
      const skill = input.skills[file.skill % input.skills.length] ?? "s";
      const path = `${skill}/${file.name.join("/")}`;
      files.set(path, {
        path,
        size: file.size,
        sha256: file.sha256,
        mode: file.executable ? MODE_EXECUTABLE : MODE_REGULAR,
        contentType: "text/plain",
      });
    }
    return buildManifest({
      version: input.version,
      repository: "acme/skills",
      commit: {
        sha: input.sha,
        message: input.message,
        author: { name: "A", email: "a@example.com" },
        timestamp: input.timestamp,
        dirty: false,
      },
      skills: input.skills.map((name) => ({ name, description: `The ${name} skill` })),
      files: [...files.values()],
    });
  });

/** Hostile replacements for one field of a manifest or notification. */
const hostileValue = fc.oneof(
  hostileJson,
  pathLike,
  fc.constantFrom(
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER * 4,
    "../../etc/passwd",
    "/etc/passwd",
    "a\u0000b",
  ),
);

describe("manifest properties", () => {
  it("valid manifests round-trip", async () => {
    await fc.assert(
      fc.asyncProperty(validManifest, async (manifest) => {
        const { text } = await serializeManifest(manifest);
        expect(parseManifest(text)).toEqual(manifest);
      }),
      propertyParameters(300, 5000),
    );
  });

  it("hostile JSON throws InvalidManifestError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileJson.map((value) => JSON.stringify(value)),
          anyString(200),
        ),
        (text) => {
          expect(() => parseManifest(text)).toThrow(InvalidManifestError);
        },
      ),
      propertyParameters(2000, 30_000),
    );
  });

  it("mutated manifests parse only when safe", async () => {
    await fc.assert(
      fc.asyncProperty(
        validManifest,
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        hostileValue,
        async (manifest, steps, replacement) => {
          const { text } = await serializeManifest(manifest);
          const mutated = JSON.stringify(mutateAt(JSON.parse(text), steps, replacement));
          let parsed: ReturnType<typeof parseManifest>;
          try {
            parsed = parseManifest(mutated);
          } catch (error: unknown) {
            expect(error).toBeInstanceOf(InvalidManifestError);
            return;
          }
          // Whatever got through still names only safe, unique paths in listed skills.
          const paths = new Set<string>();
          for (const file of parsed.files) {
            expect(checkRelativePath(file.path)).toBeUndefined();
            expect(paths.has(file.path)).toBe(false);
            paths.add(file.path);
            expect(Number.isSafeInteger(file.size)).toBe(true);
            expect(file.size).toBeGreaterThanOrEqual(0);
            expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
          }
          for (const skill of parsed.skills) expect(checkRelativePath(skill.path)).toBeUndefined();
        },
      ),
      propertyParameters(2000, 30_000),
    );
  });

  it("deep nesting throws InvalidManifestError", () => {
    for (const depth of [1000, 100_000]) {
      const text = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      expect(() => parseManifest(text)).toThrow(InvalidManifestError);
      const objects = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
      expect(() => parseManifest(objects)).toThrow(InvalidManifestError);
    }
  });
});

function validNotification(version: string, channel: string, digest: string, at: string) {
  return {
    type: NOTIFICATION_TYPE,
    timestamp: at,
    data: {
      version,
      channel,
      manifestKey: manifestKey("", version),
      manifestSha256: digest,
      base: null,
      repository: "acme/skills",
      ref: "refs/heads/main",
      commit: { sha: null, timestamp: at },
      run: null,
      publishedAt: at,
    },
  };
}

describe("notification properties", () => {
  const notification = fc
    .tuple(versionId, channelName, sha256, isoTimestamp)
    .map(([version, channel, digest, at]) => validNotification(version, channel, digest, at));

  it("valid notifications parse", () => {
    fc.assert(
      fc.property(notification, (body) => {
        const result = parseNotification(JSON.parse(JSON.stringify(body)), "");
        expect(result.ok).toBe(true);
      }),
      propertyParameters(500, 10_000),
    );
  });

  it("hostile bodies return a message", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileJson,
          fc
            .tuple(notification, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), hostileValue)
            .map(([body, steps, value]) => mutateAt(body, steps, value)),
        ),
        fc.constantFrom("", "team/skills/"),
        (body, prefix) => {
          const result = parseNotification(body, prefix);
          if (result.ok) {
            const data = result.notification.data;
            expect(data.manifestKey).toBe(manifestKey(prefix, data.version));
            return;
          }
          expect(result.message.length).toBeGreaterThan(0);
        },
      ),
      propertyParameters(2000, 30_000),
    );
  });

  it("another prefix's manifest key is rejected", () => {
    fc.assert(
      fc.property(notification, (body) => {
        const result = parseNotification(body, "other/");
        expect(result.ok).toBe(false);
      }),
      propertyParameters(200, 2000),
    );
  });
});

describe("head and metadata properties", () => {
  it("hostile heads return a reason", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileJson.map((value) => JSON.stringify(value)),
          anyString(200),
        ),
        (text) => {
          const result = parseHead(text);
          expect("reason" in result).toBe(true);
        },
      ),
      propertyParameters(1000, 20_000),
    );
  });

  it("object metadata stays ASCII and bounded", () => {
    fc.assert(
      fc.property(
        sha256,
        fc.option(commitSha, { nil: null }),
        fc.string({ unit: "binary", maxLength: 3000 }),
        anyString(3000),
        (digest, commit, author, message) => {
          const metadata = objectMetadata({
            sha256: digest,
            mode: MODE_REGULAR,
            commit,
            mtime: 1,
            author,
            message,
          });
          for (const value of Object.values(metadata)) expect(value).toMatch(/^[\x20-\x7e]*$/);
          expect(metadataBytes(metadata)).toBeLessThanOrEqual(MAX_METADATA_BYTES);
        },
      ),
      propertyParameters(1000, 20_000),
    );
  });
});
