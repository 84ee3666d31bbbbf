import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DirectRequests } from "../../../publisher/direct-requests.ts";
import { createAgents } from "../../../publisher/s3-client.ts";
import type { StoreSettings } from "../../../publisher/types.ts";
import { s3Error } from "./fault-proxy.ts";

const ACCESS_KEY_ID = "AKIDDIRECTREQUESTTEST";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

let server: Server | undefined;
afterEach(async () => {
  const running = server;
  server = undefined;
  if (running !== undefined) await new Promise((resolve) => running.close(resolve));
});

/** Starts a server on `host` that records requests and responds to each with `reply`. */
async function serve(
  host: string,
  reply: { status: number; body: string },
): Promise<{ endpoint: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((request, response) => {
    seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
    request.resume();
    request.on("end", () => {
      response.writeHead(reply.status, { "content-type": "application/xml" });
      response.end(reply.body);
    });
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, host, resolve));
  const { port } = listening.address() as AddressInfo;
  const address = host.includes(":") ? `[${host}]` : host;
  return { endpoint: `http://${address}:${port}`, seen };
}

function directTo(endpoint: string): DirectRequests {
  const settings: StoreSettings = {
    bucket: "skills",
    endpoint,
    region: "auto",
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: "secret",
    prefix: "",
    concurrency: 4,
    forcePathStyle: true,
  };
  return new DirectRequests(settings, createAgents(4));
}

const body = new TextEncoder().encode("hello\n");
const options = { contentType: "text/plain", metadata: { Mode: "33188" } };

describe("DirectRequests", () => {
  it("puts to an IPv6 endpoint", async () => {
    const { endpoint, seen } = await serve("::1", { status: 200, body: "" });

    await directTo(endpoint).put("a b/c.txt", body, options, AbortSignal.timeout(5000));

    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe("PUT");
    expect(seen[0]?.url).toBe("/skills/a%20b/c.txt");
    expect(seen[0]?.headers["x-amz-meta-mode"]).toBe("33188");
    expect(seen[0]?.headers.authorization).toContain(`Credential=${ACCESS_KEY_ID}/`);
  });

  it("accepts any 2xx status for a put", async () => {
    const { endpoint } = await serve("127.0.0.1", { status: 204, body: "" });

    await directTo(endpoint).put("x.txt", body, options, AbortSignal.timeout(5000));
  });

  it("names the S3 code of a failed put", async () => {
    const xml = s3Error("AccessDenied", "Access Denied").replace(
      "</Error>",
      `<AWSAccessKeyId>${ACCESS_KEY_ID}</AWSAccessKeyId></Error>`,
    );
    const { endpoint } = await serve("127.0.0.1", { status: 403, body: xml });

    const error = await directTo(endpoint)
      .put("x.txt", body, options, AbortSignal.timeout(5000))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      name: "AccessDenied",
      message: "Access Denied",
      $metadata: { httpStatusCode: 403 },
    });
    expect(String(error)).not.toContain(ACCESS_KEY_ID);
  });

  it("rejects a copy whose 200 carries an error", async () => {
    const { endpoint, seen } = await serve("127.0.0.1", {
      status: 200,
      body: s3Error("InternalError", "We encountered an internal error"),
    });

    const error = await directTo(endpoint)
      .copy("from/a.txt", "to/a.txt", AbortSignal.timeout(5000))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: "InternalError", $metadata: { httpStatusCode: 200 } });
    expect(seen[0]?.headers["x-amz-copy-source"]).toBe("skills/from/a.txt");
    expect(seen[0]?.headers["x-amz-metadata-directive"]).toBe("COPY");
  });

  it("names a bodiless 404 NotFound", async () => {
    const { endpoint } = await serve("127.0.0.1", { status: 404, body: "" });

    const error = await directTo(endpoint)
      .copy("from/a.txt", "to/a.txt", AbortSignal.timeout(5000))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: "NotFound", $metadata: { httpStatusCode: 404 } });
  });
});
