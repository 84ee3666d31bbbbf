/**
 * The signature covers the exact body bytes: a delivery whose bytes differ
 * from the signed ones is rejected, even when they decode to the same text.
 */

import { describe, expect, it } from "vitest";
import { testApp } from "./support/core-app.ts";
import {
  deliver,
  notificationFor,
  putVersion,
  randomVersion,
  signedDelivery,
} from "./support/publish.ts";

describe("webhook signature bytes", () => {
  it("rejects a body with a byte order mark added", async () => {
    const { app, registry } = testApp();
    const stored = await putVersion(randomVersion());
    const signed = await signedDelivery(JSON.stringify(notificationFor(stored)));

    const response = await deliver(app, { ...signed, body: `\uFEFF${signed.body}` });

    expect(response.status).toBe(401);
    expect(await registry.getVersion(stored.version)).toBeNull();
  });

  it("keeps the signed delivery valid after the altered one", async () => {
    const { app } = testApp();
    const stored = await putVersion(randomVersion());
    const signed = await signedDelivery(JSON.stringify(notificationFor(stored)));

    await deliver(app, { ...signed, body: `\uFEFF${signed.body}` });
    const response = await deliver(app, signed);

    expect(response.status).toBe(200);
  });
});

describe("webhook secret configuration", () => {
  it("answers 500 naming WEBHOOK_SECRET when unset", async () => {
    const { app, config } = testApp();
    const { WEBHOOK_SECRET: _unset, ...others } = config.secrets;
    const unset = testApp({ secrets: others });
    const stored = await putVersion(randomVersion());
    const signed = await signedDelivery(JSON.stringify(notificationFor(stored)));

    const response = await deliver(unset.app, signed);

    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("missing_secret");
    expect(body.error.message).toContain("wrangler secret put WEBHOOK_SECRET");
    expect((await deliver(app, signed)).status).toBe(200);
  });

  it("answers 500 without echoing a malformed secret", async () => {
    const malformed = "whsec_not base64!";
    const { app, config } = testApp();
    const broken = testApp({ secrets: { ...config.secrets, WEBHOOK_SECRET: malformed } });
    const stored = await putVersion(randomVersion());
    const signed = await signedDelivery(JSON.stringify(notificationFor(stored)));

    const response = await deliver(broken.app, signed);

    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain("invalid_config");
    expect(text).not.toContain("not base64");
    expect((await deliver(app, signed)).status).toBe(200);
  });
});
