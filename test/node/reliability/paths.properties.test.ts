import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headKey, manifestKey, normalizePrefix, objectKey } from "../../../core/keys.ts";
import {
  checkRelativePath,
  joinInside,
  MAX_PATH_BYTES,
  UnsafePathError,
} from "../../../core/paths.ts";
import { anyString, channelName, pathLike, plainPath, versionId } from "./arbitraries.ts";
import { propertyParameters } from "./runs.ts";

const BASE = "/workspace/.claude/skills";
const candidatePath = fc.oneof(pathLike, plainPath, anyString(40));

describe("relative path properties", () => {
  it("accepted paths resolve inside the base", () => {
    fc.assert(
      fc.property(candidatePath, (candidate) => {
        if (checkRelativePath(candidate) !== undefined) return;
        const resolved = path.posix.resolve(BASE, candidate);
        expect(resolved.startsWith(`${BASE}/`)).toBe(true);
        expect(path.posix.normalize(candidate)).toBe(candidate);
        expect(joinInside(BASE, candidate)).toBe(resolved);
      }),
      propertyParameters(3000, 50_000),
    );
  });

  it("accepted paths stay inside a URL base", () => {
    // A client that builds request URLs must encode each segment: WHATWG URL
    // parsing turns a raw "%2e%2e" segment into "..".
    fc.assert(
      fc.property(candidatePath, (candidate) => {
        if (checkRelativePath(candidate) !== undefined) return;
        const encoded = candidate.split("/").map(encodeURIComponent).join("/");
        const url = new URL(encoded, "http://127.0.0.1/bucket/versions/v/");
        expect(url.pathname.startsWith("/bucket/versions/v/")).toBe(true);
        expect(decodeURIComponent(url.pathname.slice("/bucket/versions/v/".length))).toBe(
          candidate,
        );
      }),
      propertyParameters(3000, 50_000),
    );
  });

  it("rejected paths throw UnsafePathError", () => {
    fc.assert(
      fc.property(candidatePath, (candidate) => {
        const reason = checkRelativePath(candidate);
        if (reason === undefined) return;
        expect(reason.length).toBeGreaterThan(0);
        expect(() => joinInside(BASE, candidate)).toThrow(UnsafePathError);
      }),
      propertyParameters(3000, 50_000),
    );
  });

  it("escaping paths are always rejected", () => {
    const escaping = fc
      .tuple(fc.array(plainPath, { maxLength: 3 }), fc.integer({ min: 1, max: 6 }), plainPath)
      .map(([before, ups, after]) => [...before, ...Array(ups).fill(".."), after].join("/"));
    fc.assert(
      fc.property(escaping, (candidate) => {
        expect(checkRelativePath(candidate)).toBeDefined();
      }),
      propertyParameters(1000, 20_000),
    );
  });

  it("long paths are rejected by UTF-8 bytes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 200, max: 1200 }),
        (width, n) => {
          const char = ["a", "é", "€", "😀"][width - 1] ?? "a";
          const candidate = `s/${char.repeat(n)}`;
          const bytes = new TextEncoder().encode(candidate).byteLength;
          expect(checkRelativePath(candidate) === undefined).toBe(bytes <= MAX_PATH_BYTES);
        },
      ),
      propertyParameters(500, 5000),
    );
  });
});

describe("bucket key properties", () => {
  const prefix = fc.oneof(
    fc.constant(""),
    plainPath.map((value) => `/${value}/`),
    plainPath,
    anyString(20),
  );

  it("keys stay under their prefix", () => {
    fc.assert(
      fc.property(prefix, versionId, channelName, candidatePath, (raw, version, channel, file) => {
        let root: string;
        try {
          root = normalizePrefix(raw);
        } catch (error: unknown) {
          expect(error).toBeInstanceOf(RangeError);
          return;
        }
        expect(
          root === "" || (root.endsWith("/") && checkRelativePath(root.slice(0, -1)) === undefined),
        ).toBe(true);
        expect(manifestKey(root, version)).toBe(`${root}manifests/${version}.json`);
        expect(headKey(root, channel)).toBe(`${root}heads/${channel}.json`);
        if (checkRelativePath(file) === undefined) {
          const key = objectKey(root, version, file);
          expect(path.posix.resolve("/", key)).toBe(`/${root}versions/${version}/${file}`);
        } else {
          expect(() => objectKey(root, version, file)).toThrow(UnsafePathError);
        }
      }),
      propertyParameters(2000, 30_000),
    );
  });
});
