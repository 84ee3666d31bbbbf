import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertChannel,
  assertSessionId,
  assertVersionId,
  InvalidIdError,
  isChannel,
  isSessionId,
  isVersionId,
  localVersionId,
} from "../../../core/ids.ts";
import { anyString, nearId, sha256 } from "./arbitraries.ts";
import { propertyParameters } from "./runs.ts";

const candidate = fc.oneof(nearId, anyString(200), fc.string({ maxLength: 5000 }));

/** Checks that `assert` returns accepted values unchanged and throws a bounded error otherwise. */
function checkAssert(value: string, accepted: boolean, assert: (value: unknown) => string): void {
  if (accepted) {
    expect(assert(value)).toBe(value);
    return;
  }
  let thrown: unknown;
  try {
    assert(value);
  } catch (error: unknown) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidIdError);
  // The message quotes at most 80 characters of the value.
  expect((thrown as Error).message.length).toBeLessThan(400);
}

describe("id properties", () => {
  it("version ids match one form", () => {
    fc.assert(
      fc.property(candidate, (value) => {
        const accepted = isVersionId(value);
        const forms =
          /^[0-9a-f]{40}$/.test(value) ||
          /^[0-9a-f]{64}$/.test(value) ||
          /^local-[0-9a-f]{16,64}$/.test(value);
        expect(accepted).toBe(forms);
        checkAssert(value, accepted, (input) => assertVersionId(input));
      }),
      propertyParameters(3000, 50_000),
    );
  });

  it("channel names are safe key segments", () => {
    fc.assert(
      fc.property(candidate, (value) => {
        const accepted = isChannel(value);
        if (accepted) {
          expect(value.length).toBeLessThanOrEqual(63);
          expect(encodeURIComponent(value)).toBe(value);
          expect(path.posix.resolve("/heads", `${value}.json`)).toBe(`/heads/${value}.json`);
        }
        checkAssert(value, accepted, (input) => assertChannel(input));
      }),
      propertyParameters(3000, 50_000),
    );
  });

  it("session ids are safe folder names", () => {
    fc.assert(
      fc.property(candidate, (value) => {
        const accepted = isSessionId(value);
        if (accepted) {
          expect(value.length).toBeLessThanOrEqual(64);
          expect(encodeURIComponent(value)).toBe(value);
          expect(path.posix.resolve("/sessions", value)).toBe(`/sessions/${value}`);
          expect(path.win32.resolve("C:\\sessions", value)).toBe(`C:\\sessions\\${value}`);
        }
        checkAssert(value, accepted, (input) => assertSessionId(input));
      }),
      propertyParameters(3000, 50_000),
    );
  });

  it("non-string values are rejected", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        fc.pre(typeof value !== "string");
        expect(isVersionId(value)).toBe(false);
        expect(isChannel(value)).toBe(false);
        expect(isSessionId(value)).toBe(false);
        expect(() => assertVersionId(value)).toThrow(InvalidIdError);
      }),
      propertyParameters(500, 5000),
    );
  });

  it("local version ids are version ids", () => {
    fc.assert(
      fc.property(sha256, (digest) => {
        expect(isVersionId(localVersionId(digest))).toBe(true);
      }),
      propertyParameters(200, 2000),
    );
  });
});
