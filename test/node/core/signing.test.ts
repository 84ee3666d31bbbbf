import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { decodeSecret, signHeaders, verify } from "../../../core/signing.ts";

const SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const OTHER = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
const BODY = JSON.stringify({ type: "skills.published", data: { version: "a".repeat(40) } });

function headersOf(signed: Record<string, string>) {
  return {
    id: signed["webhook-id"] ?? null,
    timestamp: signed["webhook-timestamp"] ?? null,
    signature: signed["webhook-signature"] ?? null,
  };
}

describe("signing", () => {
  it("verifies its own signature", async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await signHeaders(SECRET, "msg_1", now, BODY);
    const result = await verify([decodeSecret(SECRET)], headersOf({ ...signed }), BODY);
    expect(result).toEqual({ ok: true });
  });

  it("is verified by the reference package", async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await signHeaders(SECRET, "msg_2", now, BODY);
    expect(() => new Webhook(SECRET).verify(BODY, { ...signed })).not.toThrow();
  });

  it("verifies the reference package's signature", async () => {
    const timestamp = new Date();
    const signature = new Webhook(SECRET).sign("msg_3", timestamp, BODY);
    const result = await verify(
      [decodeSecret(SECRET)],
      { id: "msg_3", timestamp: String(Math.floor(timestamp.getTime() / 1000)), signature },
      BODY,
    );
    expect(result).toEqual({ ok: true });
  });

  it("accepts any secret of a rotation", async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await signHeaders(`${OTHER} ${SECRET}`, "msg_4", now, BODY);
    const result = await verify([decodeSecret(SECRET)], headersOf({ ...signed }), BODY);
    expect(result.ok).toBe(true);
  });

  it("rejects a tampered body", async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = await signHeaders(SECRET, "msg_5", now, BODY);
    const result = await verify([decodeSecret(SECRET)], headersOf({ ...signed }), `${BODY} `);
    expect(result).toMatchObject({ ok: false, reason: "no-matching-signature" });
  });

  it("rejects an old timestamp", async () => {
    const old = Math.floor(Date.now() / 1000) - 600;
    const signed = await signHeaders(SECRET, "msg_6", old, BODY);
    const result = await verify([decodeSecret(SECRET)], headersOf({ ...signed }), BODY);
    expect(result).toMatchObject({ ok: false, reason: "timestamp-too-old" });
  });

  it("rejects missing headers without throwing", async () => {
    const result = await verify(
      [decodeSecret(SECRET)],
      { id: null, timestamp: null, signature: null },
      BODY,
    );
    expect(result).toMatchObject({ ok: false, reason: "missing-headers" });
  });
});
