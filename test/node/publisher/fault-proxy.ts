/**
 * An HTTP proxy on 127.0.0.1 in front of s3rver that records every request
 * and can reply to some of them itself (with an error status) or leave them
 * hanging, to test retries, timeouts and interrupted publishes against a
 * real server. Headers pass through unchanged, so SigV4 signatures stay valid.
 */

import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  /** Path and query as sent, still percent-encoded. */
  url: string;
  headers: IncomingMessage["headers"];
}

export type FaultAction =
  | { kind: "forward" }
  | { kind: "respond"; status: number; body: string; headers?: Record<string, string> }
  | { kind: "hang" };

export interface FaultProxy {
  endpoint: string;
  requests: SeenRequest[];
  /** Maximum number of requests in flight at once so far. */
  maxActive: number;
  /** Decides what happens to each request; forwards by default. */
  decide: (request: SeenRequest, index: number) => FaultAction;
  close(): Promise<void>;
}

/** Returns an S3 error document, as S3 and R2 send it. */
export function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const hanging = new Set<ServerResponse>();
  let active = 0;
  const proxy: FaultProxy = {
    endpoint: "",
    requests: [],
    maxActive: 0,
    decide: () => ({ kind: "forward" }),
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((incoming, response) => {
    const seen: SeenRequest = {
      method: incoming.method ?? "GET",
      url: incoming.url ?? "/",
      headers: incoming.headers,
    };
    const index = proxy.requests.length;
    proxy.requests.push(seen);

    active += 1;
    proxy.maxActive = Math.max(proxy.maxActive, active);
    response.on("close", () => {
      active -= 1;
    });

    const action = proxy.decide(seen, index);
    if (action.kind === "hang") {
      hanging.add(response);
      incoming.resume();
      return;
    }
    if (action.kind === "respond") {
      incoming.resume();
      incoming.on("end", () => {
        response.writeHead(action.status, {
          "content-type": "application/xml",
          ...action.headers,
        });
        response.end(action.body);
      });
      return;
    }

    const upstream = request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: seen.method,
        path: seen.url,
        headers: incoming.headers,
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
