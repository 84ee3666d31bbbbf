/**
 * A loopback HTTP proxy that injects faults in front of an S3-compatible
 * server (or any HTTP service). Each request draws one outcome from seeded
 * rates:
 *
 * - `error500`, `slowDown503`, `tooMany429`: an S3 XML error, and the request
 *   never reaches the server.
 * - `hang`: no response until the client gives up or the proxy closes, so the
 *   client's own timeout has to fire.
 * - `dropBefore`: the connection is cut while the request body arrives; the
 *   server never receives the request.
 * - `dropAfter`: the server handles the request, then the connection is cut
 *   halfway through the response (or before it, when the body is empty). The
 *   write happened but the client sees a failure, so retries must be
 *   idempotent.
 *
 * The draw for a request depends only on the seed, the method, the path,
 * the query parameter names (values too, except `uploadId`) and how often
 * that request was seen before. Concurrent clients therefore meet the same
 * faults on the same requests in every run, whatever order the requests
 * arrive in.
 */

import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type FaultKind =
  | "error500"
  | "slowDown503"
  | "tooMany429"
  | "hang"
  | "dropBefore"
  | "dropAfter";

export const FAULT_KINDS: readonly FaultKind[] = [
  "error500",
  "slowDown503",
  "tooMany429",
  "hang",
  "dropBefore",
  "dropAfter",
];

/** Chance of each fault per request, from 0 to 1; the rest is forwarded untouched. */
export type FaultRates = Partial<Record<FaultKind, number>>;

export interface FaultProxyOptions {
  /** Base URL of the server behind the proxy, such as `http://127.0.0.1:4568`. */
  target: string;
  seed: number;
  rates: FaultRates;
  /**
   * Only requests for which this returns true can draw a fault; all by
   * default. `url` is the request target: path and query, as sent.
   */
  filter?: (request: { method: string; url: string }) => boolean;
}

export interface FaultStats {
  requests: number;
  /** Requests received whose response has not finished or been cut yet. */
  inFlight: number;
  forwarded: number;
  faults: Record<FaultKind, number>;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  stats: FaultStats;
  /** Replaces the rates for the requests that follow. */
  setRates(rates: FaultRates): void;
  /** Stops accepting requests and cuts every open connection, hanging ones included. */
  close(): Promise<void>;
}

const XML_ERRORS: Record<"error500" | "slowDown503" | "tooMany429", [number, string, string]> = {
  error500: [500, "InternalError", "We encountered an internal error. Please try again."],
  slowDown503: [503, "SlowDown", "Please reduce your request rate."],
  tooMany429: [429, "TooManyRequests", "Too many requests. Please slow down."],
};

/** FNV-1a over UTF-16 code units, then a mulberry32 step: a uniform number in [0, 1). */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  let t = (hash + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

/** Returns the part of a request that identifies it across runs. */
function requestIdentity(method: string, rawUrl: string): string {
  const url = new URL(rawUrl, "http://proxy.invalid");
  const query = [...url.searchParams]
    .map(([name, value]) => (name === "uploadId" ? name : `${name}=${value}`))
    .sort()
    .join("&");
  return `${method} ${url.pathname}?${query}`;
}

function drawFault(rates: FaultRates, draw: number): FaultKind | undefined {
  let threshold = 0;
  for (const kind of FAULT_KINDS) {
    threshold += rates[kind] ?? 0;
    if (draw < threshold) return kind;
  }
  return undefined;
}

function sendXmlError(
  response: http.ServerResponse,
  kind: keyof typeof XML_ERRORS,
  path: string,
): void {
  const [status, code, message] = XML_ERRORS[kind];
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${path.replace(/[<>&]/g, "")}</Resource><RequestId>fault-proxy</RequestId></Error>`;
  response.writeHead(status, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(body),
    ...(status === 503 || status === 429 ? { "retry-after": "0" } : {}),
  });
  response.end(body);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  let rates = { ...options.rates };
  const seen = new Map<string, number>();
  const sockets = new Set<Socket>();
  const stats: FaultStats = {
    requests: 0,
    inFlight: 0,
    forwarded: 0,
    faults: {
      error500: 0,
      slowDown503: 0,
      tooMany429: 0,
      hang: 0,
      dropBefore: 0,
      dropAfter: 0,
    },
  };

  const forward = (
    request: http.IncomingMessage,
    onResponse: (upstream: http.IncomingMessage) => void,
    onError: () => void,
  ): void => {
    const upstream = http.request({
      hostname: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
    });
    upstream.on("response", onResponse);
    upstream.on("error", onError);
    request.pipe(upstream);
  };

  const server = http.createServer((request, response) => {
    stats.requests += 1;
    stats.inFlight += 1;
    response.once("close", () => {
      stats.inFlight -= 1;
    });
    const method = request.method ?? "GET";
    const rawUrl = request.url ?? "/";
    const identity = requestIdentity(method, rawUrl);
    const count = seen.get(identity) ?? 0;
    seen.set(identity, count + 1);
    const eligible = options.filter?.({ method, url: rawUrl }) ?? true;
    const fault = eligible
      ? drawFault(rates, unitHash(`${options.seed}|${identity}|${count}`))
      : undefined;
    if (fault !== undefined) stats.faults[fault] += 1;
    const socket = request.socket;

    switch (fault) {
      case "error500":
      case "slowDown503":
      case "tooMany429":
        request.resume();
        request.on("end", () => sendXmlError(response, fault, rawUrl));
        return;
      case "hang":
        // Read the body so the client finishes sending and waits for a response.
        request.resume();
        return;
      case "dropBefore": {
        let received = 0;
        request.on("data", (chunk: Buffer) => {
          received += chunk.byteLength;
          if (received > 0) socket.destroy();
        });
        request.on("end", () => socket.destroy());
        return;
      }
      case "dropAfter":
        forward(
          request,
          (upstream) => {
            const chunks: Buffer[] = [];
            upstream.on("data", (chunk: Buffer) => chunks.push(chunk));
            upstream.on("end", () => {
              stats.forwarded += 1;
              const body = Buffer.concat(chunks);
              if (body.byteLength < 2) {
                socket.destroy();
                return;
              }
              response.writeHead(upstream.statusCode ?? 502, upstream.headers);
              response.write(body.subarray(0, Math.floor(body.byteLength / 2)), () =>
                socket.destroy(),
              );
            });
          },
          () => socket.destroy(),
        );
        return;
      case undefined:
        forward(
          request,
          (upstream) => {
            stats.forwarded += 1;
            response.writeHead(upstream.statusCode ?? 502, upstream.headers);
            upstream.pipe(response);
          },
          () => socket.destroy(),
        );
        return;
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Cut connections are expected here; a client error must not crash the test run.
  server.on("clientError", (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setRates(next) {
      rates = { ...next };
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
