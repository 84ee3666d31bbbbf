import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  decodeSecret,
  InvalidSecretError,
  signHeaders,
  type VerifyFailure,
  verify,
} from "../../../core/signing.ts";
import { anyString } from "./arbitraries.ts";
import { propertyParameters } from "./runs.ts";

const NOW = 1_800_000_000;
const FAILURES: readonly VerifyFailure[] = [
  "missing-headers",
  "invalid-id",
  "invalid-timestamp",
  "timestamp-too-old",
  "timestamp-too-new",
  "invalid-signature-header",
  "no-matching-signature",
];

const keyBytes = fc.uint8Array({ minLength: 16, maxLength: 64 });
const secretOf = (bytes: Uint8Array): string => `whsec_${Buffer.from(bytes).toString("base64")}`;
const webhookId = fc.stringMatching(/^[\x21-\x7e]{1,256}$/);
const body = fc.oneof(anyString(300), fc.json(), fc.string({ unit: "binary", maxLength: 300 }));
// One second inside the tolerance, so a changed timestamp stays within it.
const timestamp = fc.integer({ min: NOW - 299, max: NOW + 299 });

/** A signature header that is nearly valid: right scheme, wrong bytes, extra parts. */
const signatureLike = fc.oneof(
  anyString(120),
  fc
    .uint8Array({ minLength: 0, maxLength: 40 })
    .map((b) => `v1,${Buffer.from(b).toString("base64")}`),
  fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((b) => `v2,${Buffer.from(b).toString("base64")}`),
  fc
    .array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 5 })
    .map((list) => list.map((b) => `v1,${Buffer.from(b).toString("base64")}`).join(" ")),
  fc.constantFrom("v1,", "v1,,", "v1,a,b", ",", " ", "v1,====", "v1,AAAA="),
);

describe("signature properties", () => {
  it("verify returns a documented result for any headers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(keyBytes, { minLength: 1, maxLength: 3 }),
        fc.option(anyString(300), { nil: null }),
        fc.option(fc.oneof(anyString(20), fc.integer().map(String)), { nil: null }),
        fc.option(signatureLike, { nil: null }),
        body,
        async (keys, id, stamp, signature, text) => {
          const secrets = keys.map((key) => new Uint8Array(key));
          const result = await verify(secrets, { id, timestamp: stamp, signature }, text, {
            now: NOW,
          });
          if (result.ok) throw new Error("a random signature verified");
          expect(FAILURES).toContain(result.reason);
          expect(result.message.length).toBeGreaterThan(0);
        },
      ),
      propertyParameters(2000, 30_000),
    );
  });

  it("signed deliveries verify here and in the reference", async () => {
    await fc.assert(
      fc.asyncProperty(keyBytes, webhookId, timestamp, body, async (key, id, at, text) => {
        const secret = secretOf(key);
        const headers = await signHeaders(secret, id, at, text);
        const result = await verify(
          [decodeSecret(secret)],
          {
            id: headers["webhook-id"],
            timestamp: headers["webhook-timestamp"],
            signature: headers["webhook-signature"],
          },
          text,
          { now: NOW },
        );
        expect(result).toEqual({ ok: true });
        // The reference checks the timestamp against the real clock, so only
        // its signature is compared.
        const reference = new Webhook(secret).sign(id, new Date(at * 1000), text);
        expect(headers["webhook-signature"]).toBe(reference);
      }),
      propertyParameters(500, 10_000),
    );
  });

  it("changed deliveries never verify", async () => {
    await fc.assert(
      fc.asyncProperty(
        keyBytes,
        keyBytes,
        webhookId,
        timestamp,
        body,
        fc.integer({ min: 0, max: 3 }),
        async (key, otherKey, id, at, text, change) => {
          fc.pre(Buffer.compare(Buffer.from(key), Buffer.from(otherKey)) !== 0);
          const secret = secretOf(key);
          const headers = await signHeaders(secret, id, at, text);
          const sent = {
            id: headers["webhook-id"],
            timestamp: headers["webhook-timestamp"],
            signature: headers["webhook-signature"],
          };
          let secrets = [decodeSecret(secret)];
          let received = text;
          if (change === 0) received = `${text} `;
          if (change === 1) sent.id = id === "x" ? "y" : "x";
          if (change === 2) sent.timestamp = String(at + 1);
          if (change === 3) secrets = [new Uint8Array(otherKey)];
          const result = await verify(secrets, sent, received, { now: NOW });
          expect(result).toMatchObject({ ok: false, reason: "no-matching-signature" });
        },
      ),
      propertyParameters(500, 10_000),
    );
  });

  it("decodeSecret throws only InvalidSecretError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyString(100),
          fc.uint8Array({ maxLength: 40 }).map(secretOf),
          anyString(30).map((text) => `whsec_${text}`),
        ),
        (secret) => {
          let bytes: Uint8Array | undefined;
          try {
            bytes = decodeSecret(secret);
          } catch (error: unknown) {
            expect(error).toBeInstanceOf(InvalidSecretError);
            // The message never echoes the secret.
            const tail = secret.slice(6);
            if (tail.length >= 8) expect((error as Error).message).not.toContain(tail);
            return;
          }
          expect(bytes.byteLength).toBeGreaterThanOrEqual(16);
        },
      ),
      propertyParameters(2000, 30_000),
    );
  });
});
