/**
 * An unsigned sender chooses how many signatures the webhook-signature
 * header lists. Verification must cost one HMAC per secret however many
 * there are, or each request could burn the Worker's CPU time.
 */

import { afterEach, describe, expect, it, vi } from "vitest";
import { toBase64 } from "../../core/encoding.ts";
import { decodeSecret, signHeaders, verify } from "../../core/signing.ts";

const SECRETS = [
  `whsec_${toBase64(new Uint8Array(32).fill(7))}`,
  `whsec_${toBase64(new Uint8Array(32).fill(9))}`,
];
const BODY = JSON.stringify({ type: "skills.published", padding: "x".repeat(60_000) });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("signature verification work", () => {
  it("computes one HMAC per secret for many signatures", async () => {
    const now = Math.floor(Date.now() / 1000);
    const garbage = Array.from(
      { length: 500 },
      (_, index) => `v1,${toBase64(new Uint8Array(32).fill(index % 256))}`,
    );
    const keys = SECRETS.map((secret) => decodeSecret(secret));
    const sign = vi.spyOn(crypto.subtle, "sign");
    const check = vi.spyOn(crypto.subtle, "verify");

    const result = await verify(
      keys,
      { id: "msg_many", timestamp: String(now), signature: garbage.join(" ") },
      BODY,
      { now },
    );

    expect(result.ok).toBe(false);
    expect(sign.mock.calls.length + check.mock.calls.length).toBeLessThanOrEqual(SECRETS.length);
  });

  it("still finds the valid signature among others", async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await signHeaders(SECRETS[1] ?? "", "msg_one", now, BODY);
    const garbage = `v1,${toBase64(new Uint8Array(32).fill(1))}`;
    const signature = `${garbage} ${signed["webhook-signature"]} ${garbage}`;

    const result = await verify(
      SECRETS.map((secret) => decodeSecret(secret)),
      { id: "msg_one", timestamp: String(now), signature },
      BODY,
      { now },
    );

    expect(result).toEqual({ ok: true });
  });
});
