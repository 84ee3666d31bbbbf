import { describe, expect, it } from "vitest";
import { formatBytes, formatCount } from "../../../core/format.ts";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [5 * 1024 * 1024, "5.0 MiB"],
    [3 * 1024 ** 4, "3.0 TiB"],
    [2048 * 1024 ** 4, "2048.0 TiB"],
  ])("%d bytes is %s", (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});

describe("formatCount", () => {
  it.each([
    [0, "0 errors"],
    [1, "1 error"],
    [2, "2 errors"],
  ])("formats %d", (count, expected) => {
    expect(formatCount(count, "error")).toBe(expected);
  });
});
