import { describe, expect, it } from "vitest";
import { createSigner, EMPTY_SHA256, encodeKeyPath } from "../../../publisher/sigv4.ts";

// The GET Object example of Amazon S3's Signature Version 4 documentation,
// as the cloudyr aws.signature tests reproduce it.
const EXAMPLE_KEYS = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
};

describe("createSigner", () => {
  it("matches the documented GET example", () => {
    const sign = createSigner(EXAMPLE_KEYS);

    const headers = sign({
      method: "GET",
      path: "/test.txt",
      headers: { host: "examplebucket.s3.amazonaws.com", range: "bytes=0-9" },
      payloadSha256: EMPTY_SHA256,
      now: new Date("2013-05-24T00:00:00Z"),
    });

    expect(headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
    expect(headers["x-amz-date"]).toBe("20130524T000000Z");
    expect(headers["x-amz-content-sha256"]).toBe(EMPTY_SHA256);
  });

  it("signs values with collapsed spaces alike", () => {
    const sign = createSigner(EXAMPLE_KEYS);
    const request = (value: string) =>
      sign({
        method: "PUT",
        path: "/bucket/key",
        headers: { host: "example.com", "x-amz-meta-message": value },
        payloadSha256: EMPTY_SHA256,
        now: new Date("2026-01-02T03:04:05Z"),
      }).authorization;

    expect(request("  a   b ")).toBe(request("a b"));
    expect(request("a b")).not.toBe(request("a c"));
  });

  it("derives a new key on a new day", () => {
    const sign = createSigner(EXAMPLE_KEYS);
    const at = (iso: string) =>
      sign({
        method: "GET",
        path: "/x",
        headers: { host: "example.com" },
        payloadSha256: EMPTY_SHA256,
        now: new Date(iso),
      }).authorization;

    expect(at("2026-01-02T23:59:59Z")).toContain("/20260102/");
    expect(at("2026-01-03T00:00:00Z")).toContain("/20260103/");
  });
});

describe("encodeKeyPath", () => {
  it.each([
    ["versions/a/plain.txt", "versions/a/plain.txt"],
    ["a b/c+d", "a%20b/c%2Bd"],
    ["x/it's (1)*!", "x/it%27s%20%281%29%2A%21"],
    ["caf\u00e9/~_-.", "caf%C3%A9/~_-."],
    ["a%2F/b?c#d&e", "a%252F/b%3Fc%23d%26e"],
  ])("encodes %s", (key, expected) => {
    expect(encodeKeyPath(key)).toBe(expected);
  });
});
