/** Parsing and checking the body of `POST /sessions`. */

import { z } from "zod";
import { assertChannel, assertSessionId, assertVersionId, InvalidIdError } from "../../core/ids.ts";
import { HttpError } from "../errors.ts";

/** Largest accepted body; the fields fit in far less. */
export const MAX_SESSION_BODY_BYTES = 4096;

export interface SessionRequest {
  /** Absent when the client wants a new session with a generated id. */
  sessionId: string | undefined;
  channel: string | undefined;
  version: string | undefined;
}

const bodySchema = z.strictObject({
  sessionId: z.string().optional(),
  channel: z.string().optional(),
  version: z.string().optional(),
});

function invalid(message: string, cause?: unknown): HttpError {
  return new HttpError(400, "invalid_request", message, cause === undefined ? {} : { cause });
}

/** Parses the body. An empty body requests a new session on the default channel. */
export function parseSessionRequest(text: string): SessionRequest {
  if (new TextEncoder().encode(text).byteLength > MAX_SESSION_BODY_BYTES) {
    throw new HttpError(
      413,
      "body_too_large",
      `The request body is larger than ${MAX_SESSION_BODY_BYTES} bytes; send only sessionId, channel or version`,
    );
  }
  if (text.trim() === "") return { sessionId: undefined, channel: undefined, version: undefined };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw invalid(
      'The request body is not valid JSON; send for example {"channel": "production"}',
      error,
    );
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "body";
    throw invalid(
      `Invalid request body at ${where}: ${issue?.message ?? "unexpected value"}; the body takes only the strings sessionId, channel and version`,
    );
  }
  const { sessionId, channel, version } = parsed.data;
  if (channel !== undefined && version !== undefined) {
    throw invalid(
      "Send channel or version, not both: a version pins the session, a channel picks its current version",
    );
  }
  try {
    return {
      sessionId: sessionId === undefined ? undefined : assertSessionId(sessionId),
      channel: channel === undefined ? undefined : assertChannel(channel),
      version: version === undefined ? undefined : assertVersionId(version),
    };
  } catch (error: unknown) {
    if (error instanceof InvalidIdError) throw invalid(error.message, error);
    throw error;
  }
}
