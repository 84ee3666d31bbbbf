/**
 * WebSocket tickets: a browser cannot send an `Authorization` header with a
 * WebSocket, so `POST /sessions` (which needs the session token) hands out
 * a short-lived, single-use ticket for `GET /ws`. The ticket is the only
 * secret that ever travels in a URL. The store keeps its SHA-256, never the
 * ticket itself.
 */

import { sha256Hex, toBase64 } from "../../core/encoding.ts";

/** How long a ticket can be redeemed after it was issued. */
export const TICKET_TTL_MS = 60_000;

/** 32 random bytes, base64url without padding: 43 characters. */
export const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Returns a new random ticket. */
export function newTicket(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Returns the digest under which the store keeps a ticket. */
export function ticketDigest(ticket: string): Promise<string> {
  return sha256Hex(ticket);
}
