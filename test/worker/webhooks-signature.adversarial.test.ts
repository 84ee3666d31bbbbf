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
