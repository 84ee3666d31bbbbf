/** Reading request bodies with a size limit that does not trust Content-Length. */

import { HttpError } from "./errors.ts";

function tooLarge(limit: number): HttpError {
  return new HttpError(413, "payload_too_large", `Request body is larger than ${limit} bytes`);
}

/**
 * Reads the whole body, rejecting with 413 as soon as the declared or the
 * received length passes `limit` bytes.
 */
export async function readBodyBytes(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Decodes UTF-8, rejecting invalid sequences with 400. A leading byte order
 * mark stays in the text, so the text encodes back to exactly `bytes`, which
 * is what a webhook signature covers.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new HttpError(400, "invalid_body", "Request body is not valid UTF-8", { cause: error });
  }
}

/** Reads a JSON body of at most `limit` bytes; 400 when it is not JSON. */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const text = decodeUtf8(await readBodyBytes(request, limit));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      "invalid_json",
      `Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}
