/** Checking a delivery's Standard Webhooks signature against WEBHOOK_SECRET. */

import { decodeSecret, InvalidSecretError, splitSecrets, verify } from "../../core/signing.ts";
import { requireSecret, type WorkerConfig } from "../config.ts";
import { HttpError } from "../errors.ts";

function secretKeys(config: WorkerConfig): Uint8Array<ArrayBuffer>[] {
  const secrets = splitSecrets(requireSecret(config, "WEBHOOK_SECRET"));
  return secrets.map((secret, index) => {
    try {
      return decodeSecret(secret, `WEBHOOK_SECRET (secret ${index + 1} of ${secrets.length})`);
    } catch (error) {
      if (!(error instanceof InvalidSecretError)) throw error;
      throw new HttpError(
        500,
        "invalid_config",
        `${error.message}; set it again with: npx wrangler secret put WEBHOOK_SECRET`,
        { cause: error },
      );
    }
  });
}

/** Verifies the delivery or throws 401 with the reason. */
export async function verifyDelivery(
  config: WorkerConfig,
  headers: Headers,
  body: string,
  nowMs: number,
): Promise<string> {
  const keys = secretKeys(config);
  const id = headers.get("webhook-id");
  const result = await verify(
    keys,
    {
      id,
      timestamp: headers.get("webhook-timestamp"),
      signature: headers.get("webhook-signature"),
    },
    body,
    { now: Math.floor(nowMs / 1000) },
  );
  if (!result.ok || id === null) {
    const message = result.ok ? "Missing webhook-id header" : result.message;
    throw new HttpError(401, "invalid_signature", message);
  }
  return id;
}
