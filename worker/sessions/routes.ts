/**
 * Session routes:
 *
 * - `POST /sessions` (session token): creates or resumes a session and
 *   returns a WebSocket ticket. A new session resolves its version through
 *   the Registry and gets it mounted. A known session keeps its version,
 *   whatever channel the request names, and it is mounted again only when
 *   its container lost the setup marker.
 * - `GET /ws?sessionId=…&ticket=…`: redeems the ticket and proxies the
 *   WebSocket to the agent's port. Unknown, expired and reused tickets
 *   get 401. A ticket of another session gets 403 and is used up. A session
 *   whose container restarted gets 409 until POST /sessions sets it up.
 */

import { Hono } from "hono";
import { assertSessionId, InvalidIdError } from "../../core/ids.ts";
import type { Logger } from "../../core/logger.ts";
import { requireRole } from "../auth.ts";
import { readBodyBytes } from "../body.ts";
import type { Bucket } from "../bucket/types.ts";
import type { WorkerConfig } from "../config.ts";
import { describe, HttpError } from "../errors.ts";
import { type AppEnv, annotate, requestLogger } from "../log.ts";
import { createMounter } from "../mount/index.ts";
import type { ResolveResult } from "../registry/types.ts";
import type { SandboxProvider } from "../sandbox/types.ts";
import { SandboxUnsupportedError } from "../sandbox/types.ts";
import type { ClaimInput, ClaimResult, RedeemResult, SessionRecord } from "./records.ts";
import { MAX_SESSION_BODY_BYTES, parseSessionRequest } from "./request.ts";
import { runSetupStep, setUpSandbox } from "./setup.ts";
import { newTicket, TICKET_PATTERN, TICKET_TTL_MS, ticketDigest } from "./tickets.ts";

/** How long a setup may run before another request may take over the session. */
export const SETUP_LEASE_MS = 5 * 60_000;
/** Seconds a client waits before retrying while another request sets the session up. */
const BUSY_RETRY_AFTER_SECONDS = "5";

/** The Registry's lookup, as the SessionStore's callers need it. */
export interface VersionResolver {
  resolve(input: { channel?: string; version?: string }): Promise<ResolveResult>;
}

/** The SessionStore's RPC methods the routes call. */
export interface SessionStoreClient {
  lookup(sessionId: string): Promise<SessionRecord | null>;
  claimSetup(input: ClaimInput): Promise<ClaimResult>;
  finishSetup(sessionId: string, nowMs: number): Promise<SessionRecord>;
  abandonSetup(sessionId: string, created: boolean): Promise<void>;
  issueTicket(input: {
    ticketSha256: string;
    sessionId: string;
    expiresAt: number;
    nowMs: number;
  }): Promise<void>;
  redeemTicket(input: {
    ticketSha256: string;
    sessionId: string;
    nowMs: number;
  }): Promise<RedeemResult>;
}

export interface SessionDeps {
  config: WorkerConfig;
  bucket: Bucket;
  registry: VersionResolver;
  sessions: SessionStoreClient;
  sandboxes: SandboxProvider;
  /** Unix milliseconds. */
  now(): number;
  logger: Logger;
}

export interface SessionResponse {
  sessionId: string;
  version: string;
  channel: string | null;
  mountPath: string;
  ticket: string;
  /** ISO 8601. */
  ticketExpiresAt: string;
}

const RESOLVE_CODES = {
  "unknown-channel": "unknown_channel",
  "no-current-version": "no_current_version",
  "unknown-version": "unknown_version",
  "pruned-version": "pruned_version",
} as const;

async function resolveVersion(
  registry: VersionResolver,
  input: { channel: string | undefined; version: string | undefined },
  defaultChannel: string,
): Promise<Extract<ResolveResult, { ok: true }>> {
  const request =
    input.version !== undefined
      ? { version: input.version }
      : { channel: input.channel ?? defaultChannel };
  const result = await registry.resolve(request);
  if (!result.ok) throw new HttpError(404, RESOLVE_CODES[result.reason], result.message);
  return result;
}

function claimInput(record: SessionRecord, nowMs: number, remount: boolean): ClaimInput {
  return {
    sessionId: record.sessionId,
    version: record.version,
    channel: record.channel,
    manifestKey: record.manifestKey,
    manifestSha256: record.manifestSha256,
    knownFile: record.knownFile,
    nowMs,
    leaseMs: SETUP_LEASE_MS,
    remount,
  };
}

function busy(record: SessionRecord): HttpError {
  return new HttpError(
    503,
    "session_busy",
    `Session ${record.sessionId} is being set up by another request; retry in a few seconds`,
    { headers: { "Retry-After": BUSY_RETRY_AFTER_SECONDS } },
  );
}

function conflict(record: SessionRecord, requested: string): HttpError {
  return new HttpError(
    409,
    "session_version_conflict",
    `Session ${record.sessionId} uses version ${record.version}, not ${requested}; a session keeps its version, so start a new session for another one`,
  );
}

export function sessionRoutes(deps: SessionDeps): Hono<AppEnv> {
  const { config, sessions, sandboxes } = deps;
  const mounter = createMounter(config, deps.bucket);
  const app = new Hono<AppEnv>();

  /**
   * Brings a claimed or ready session to `ready`, mounting only when the
   * container has no setup marker for the session's version. Any failure
   * releases the setup lease this request holds.
   */
  async function settle(claim: ClaimResult, logger: Logger): Promise<SessionRecord> {
    if (claim.outcome === "conflict") throw conflict(claim.record, "the requested one");
    if (claim.outcome === "busy") throw busy(claim.record);
    const record = claim.record;
    const ids = { sessionId: record.sessionId, version: record.version };
    let holdsLease = claim.outcome === "claimed";
    const created = claim.outcome === "claimed" && claim.created;
    try {
      const handle = sandboxes.get(record.sessionId);
      const marker = await runSetupStep("read the container's setup marker", record, () =>
        handle.readSetupMarker(),
      );
      if (marker === record.version) {
        // The container still has the mount, and mounting again would break it.
        if (holdsLease) return await sessions.finishSetup(record.sessionId, deps.now());
        return record;
      }
      if (!holdsLease) {
        logger.warn("container lost its setup; mounting again", ids);
        const lease = await sessions.claimSetup(claimInput(record, deps.now(), true));
        if (lease.outcome !== "claimed") throw busy(record);
        holdsLease = true;
      }
      await setUpSandbox({ config, bucket: deps.bucket, mounter, logger }, handle, record);
      return await sessions.finishSetup(record.sessionId, deps.now());
    } catch (error: unknown) {
      if (holdsLease) {
        try {
          await sessions.abandonSetup(record.sessionId, created);
        } catch (releaseError: unknown) {
          logger.error("releasing the setup lease failed", {
            ...ids,
            error: describe(releaseError),
          });
        }
      }
      throw error;
    }
  }

  app.post("/sessions", requireRole(config, "session"), async (c) => {
    // Read with the limit, so an oversized or endless body is cut off at
    // MAX_SESSION_BODY_BYTES instead of being buffered whole.
    const bytes = await readBodyBytes(c.req.raw, MAX_SESSION_BODY_BYTES);
    const body = parseSessionRequest(new TextDecoder().decode(bytes));
    const sessionId = body.sessionId ?? crypto.randomUUID();
    annotate(c, { sessionId });
    const problem = sandboxes.sessionIdProblem(sessionId);
    if (problem !== undefined) {
      throw new HttpError(
        400,
        "invalid_request",
        `Invalid sessionId ${JSON.stringify(sessionId)}: ${problem}; choose another id or omit it to get a generated one`,
      );
    }
    const logger = requestLogger(c);

    const existing = await sessions.lookup(sessionId);
    let claim: ClaimResult;
    if (existing !== null) {
      if (body.version !== undefined && body.version !== existing.version) {
        throw conflict(existing, body.version);
      }
      claim = await sessions.claimSetup(claimInput(existing, deps.now(), false));
    } else {
      const resolved = await resolveVersion(deps.registry, body, config.defaultChannel);
      claim = await sessions.claimSetup({
        sessionId,
        version: resolved.version,
        channel: resolved.channel,
        manifestKey: resolved.manifestKey,
        manifestSha256: resolved.manifestSha256,
        knownFile: resolved.knownFile,
        nowMs: deps.now(),
        leaseMs: SETUP_LEASE_MS,
        remount: false,
      });
      if (claim.outcome === "conflict") throw conflict(claim.record, resolved.version);
    }
    annotate(c, { version: claim.record.version, channel: claim.record.channel });
    const created = claim.outcome === "claimed" && claim.created;
    const record = await settle(claim, logger);

    const ticket = newTicket();
    const nowMs = deps.now();
    const expiresAt = nowMs + TICKET_TTL_MS;
    await sessions.issueTicket({
      ticketSha256: await ticketDigest(ticket),
      sessionId,
      expiresAt,
      nowMs,
    });
    const response: SessionResponse = {
      sessionId,
      version: record.version,
      channel: record.channel,
      mountPath: config.mountPath,
      ticket,
      ticketExpiresAt: new Date(expiresAt).toISOString(),
    };
    return c.json(response, created ? 201 : 200);
  });

  app.get("/ws", async (c) => {
    let sessionId: string;
    try {
      sessionId = assertSessionId(c.req.query("sessionId"), "sessionId query parameter");
    } catch (error: unknown) {
      if (error instanceof InvalidIdError) {
        throw new HttpError(400, "invalid_request", error.message, { cause: error });
      }
      throw error;
    }
    annotate(c, { sessionId });
    const ticket = c.req.query("ticket");
    if (ticket === undefined || !TICKET_PATTERN.test(ticket)) {
      throw new HttpError(
        401,
        "invalid_ticket",
        "Missing or malformed ticket query parameter; get a ticket from POST /sessions",
      );
    }
    // Checked before the ticket is redeemed, so a plain GET does not use it up.
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(426, "upgrade_required", "GET /ws needs a WebSocket upgrade request", {
        headers: { Upgrade: "websocket" },
      });
    }
    const redeemed = await sessions.redeemTicket({
      ticketSha256: await ticketDigest(ticket),
      sessionId,
      nowMs: deps.now(),
    });
    if (redeemed.outcome === "wrong-session") {
      throw new HttpError(
        403,
        "ticket_wrong_session",
        `The ticket was issued for another session, not ${sessionId}; it is now used up, so get a new one from POST /sessions`,
      );
    }
    if (redeemed.outcome !== "ok") {
      const reasons = {
        unknown: "The ticket is unknown",
        expired: `The ticket expired (tickets last ${TICKET_TTL_MS / 1000} seconds)`,
        used: "The ticket was used already (tickets are single-use)",
      } as const;
      throw new HttpError(
        401,
        `ticket_${redeemed.outcome}`,
        `${reasons[redeemed.outcome]}; get a new one from POST /sessions`,
      );
    }
    const record = redeemed.record;
    annotate(c, { version: record.version, channel: record.channel });
    if (record.state !== "ready") {
      throw new HttpError(
        409,
        "session_not_ready",
        `Session ${sessionId} is not set up (state ${record.state}); call POST /sessions with its sessionId first`,
      );
    }

    // The ticket is dropped from the forwarded URL, so the agent never receives it.
    const url = new URL(c.req.url);
    url.searchParams.delete("ticket");
    const forwarded = new Request(url, c.req.raw);
    const handle = sandboxes.get(sessionId);
    try {
      // A container that restarted since POST /sessions has neither the
      // mount nor the agent, and only POST /sessions sets them up again.
      if ((await handle.readSetupMarker()) !== record.version) {
        requestLogger(c).warn("container lost its setup before the WebSocket connected", {
          sessionId,
          version: record.version,
        });
        throw new HttpError(
          409,
          "session_not_ready",
          `The sandbox of session ${sessionId} restarted and lost version ${record.version}; call POST /sessions with its sessionId to set it up again`,
        );
      }
      return await handle.wsConnect(forwarded, config.agentPort);
    } catch (error: unknown) {
      if (error instanceof HttpError) throw error;
      if (error instanceof SandboxUnsupportedError) {
        throw new HttpError(501, "not_supported", error.message, { cause: error });
      }
      throw new HttpError(
        503,
        "sandbox_unavailable",
        `Connecting to the agent of session ${sessionId} on port ${config.agentPort} failed; retry later`,
        { cause: error, headers: { "Retry-After": BUSY_RETRY_AFTER_SECONDS } },
      );
    }
  });

  return app;
}
