/**
 * A counting reverse proxy on 127.0.0.1 in front of the S3 server. Every tool
 * under test talks to it the same way, so requests and bytes sent compare
 * across tools. Headers are forwarded unchanged (the `Host` header included),
 * so SigV4 signatures still match at the server.
 */

import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface TrafficCounts {
  requests: number;
  /** Requests by HTTP method. */
  methods: Record<string, number>;
  /** Bytes the clients wrote to the proxy: request lines, headers and bodies. */
  bytesSent: number;
}

export interface CountingProxy {
  endpoint: string;
  /** The totals since the proxy started. */
  counts(): TrafficCounts;
  /** Resolves with `performance.now()` when the proxy receives its next request. */
  nextRequest(): Promise<number>;
  close(): Promise<void>;
}

/** Returns `after - before`, the traffic of one measured run. */
export function difference(after: TrafficCounts, before: TrafficCounts): TrafficCounts {
  const methods: Record<string, number> = {};
  for (const [method, count] of Object.entries(after.methods)) {
    const delta = count - (before.methods[method] ?? 0);
    if (delta > 0) methods[method] = delta;
  }
  return {
    requests: after.requests - before.requests,
    methods,
    bytesSent: after.bytesSent - before.bytesSent,
  };
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  if (target.protocol !== "http:") {
    throw new Error(
      `Invalid upstream ${upstream}: the counting proxy forwards plain HTTP only; unset R2_SKILLS_ENDPOINT to use a local s3rver`,
    );
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sockets = new Set<Socket>();
  let closedSocketBytes = 0;
  let requests = 0;
  const methods: Record<string, number> = {};
  let waiters: ((at: number) => void)[] = [];

  const server = createServer((incoming, outgoing) => {
    requests += 1;
    methods[incoming.method ?? "?"] = (methods[incoming.method ?? "?"] ?? 0) + 1;
    const at = performance.now();
    for (const resolve of waiters) resolve(at);
    waiters = [];
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
        agent,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on("error", (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { "content-type": "text/plain" });
      outgoing.end(`Upstream request failed: ${error.message}`);
    });
    incoming.pipe(forwarded);
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      closedSocketBytes += socket.bytesRead;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts() {
      let bytesSent = closedSocketBytes;
      for (const socket of sockets) bytesSent += socket.bytesRead;
      return { requests, methods: { ...methods }, bytesSent };
    },
    nextRequest: () => new Promise<number>((resolve) => waiters.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
