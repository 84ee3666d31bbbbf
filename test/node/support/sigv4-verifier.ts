/**
 * A loopback proxy in front of s3rver that checks the SigV4 signature of
 * every request as S3 does, because s3rver accepts any SigV4 signature
 * unchecked. The expected signature comes from `@smithy/signature-v4`, the
 * AWS SDK's signer, over the canonical request S3 rebuilds: the key is
 * decoded from the path and encoded again (RFC 3986, `/` kept), and only
 * the headers named in `SignedHeaders` are signed. A request whose signature
 * or payload hash does not match gets a 403 `SignatureDoesNotMatch` and never
 * reaches s3rver.
 *
 * The proxy can serve under a base path (as a gateway at
 * `http://host:port/some/base` does) and listen on `::1`; it strips the base
 * path before forwarding.
 */

import { createHash, createHmac } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { SignatureV4 } from "@smithy/signature-v4";
import type { SourceData } from "@smithy/types";

export interface SignatureMismatch {
  method: string;
  url: string;
  reason: string;
}

export interface VerifiedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

export interface VerifyingProxy {
  endpoint: string;
  mismatches: SignatureMismatch[];
  requests: VerifiedRequest[];
  close(): Promise<void>;
}

/** Node's SHA-256 and HMAC-SHA256 in the interface the smithy signer takes. */
class NodeSha256 {
  readonly #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;

  constructor(secret?: SourceData) {
    this.#hash =
      secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }

  update(data: SourceData): void {
    this.#hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {}
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function encodeRfc3986(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Rebuilds the canonical URI S3 compares: each segment decoded, then encoded again. */
function canonicalPath(rawPath: string): string {
  return rawPath
    .split("/")
    .map((segment) => encodeRfc3986(decodeURIComponent(segment)))
    .join("/");
}

function parseAuthorization(value: string) {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      value,
    );
  if (match === null) return undefined;
  const [, accessKeyId, , region, signedHeaders, signature] = match;
  return {
    accessKeyId: accessKeyId ?? "",
    region: region ?? "",
    signedHeaders: (signedHeaders ?? "").split(";"),
    signature: signature ?? "",
  };
}

function amzDateToDate(value: string): Date {
  const iso = value.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z");
  return new Date(iso);
}

export async function startVerifyingProxy(options: {
  target: string;
  secretAccessKey: string;
  basePath?: string;
  host?: "127.0.0.1" | "::1";
}): Promise<VerifyingProxy> {
  const target = new URL(options.target);
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  const mismatches: SignatureMismatch[] = [];
  const requests: VerifiedRequest[] = [];

  const check = async (request: IncomingMessage, body: Buffer): Promise<string | undefined> => {
    const authorization = parseAuthorization(String(request.headers.authorization ?? ""));
    if (authorization === undefined) return "no SigV4 authorization header";
    const rawUrl = request.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
    const query: Record<string, string | string[]> = {};
    if (queryStart >= 0) {
      for (const [name, value] of new URLSearchParams(rawUrl.slice(queryStart + 1))) {
        const existing = query[name];
        if (existing === undefined) query[name] = value;
        else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
      }
    }

    let path: string;
    try {
      path = canonicalPath(rawPath);
    } catch {
      return `path ${rawPath} is not valid percent-encoding`;
    }

    const headers: Record<string, string> = {};
    for (const name of authorization.signedHeaders) {
      const value = request.headers[name];
      if (value === undefined) return `signed header ${name} is missing`;
      headers[name] = Array.isArray(value) ? value.join(",") : value;
    }

    const payloadHash = headers["x-amz-content-sha256"];
    if (
      payloadHash !== undefined &&
      /^[0-9a-f]{64}$/.test(payloadHash) &&
      createHash("sha256").update(body).digest("hex") !== payloadHash
    ) {
      return "x-amz-content-sha256 does not match the body";
    }

    const signer = new SignatureV4({
      credentials: {
        accessKeyId: authorization.accessKeyId,
        secretAccessKey: options.secretAccessKey,
      },
      region: authorization.region,
      service: "s3",
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    const hostHeader = headers.host ?? "";
    const signed = await signer.sign(
      {
        method: request.method ?? "GET",
        protocol: "http:",
        hostname: hostHeader,
        path,
        query,
        headers,
        body,
      },
      {
        signingDate: amzDateToDate(headers["x-amz-date"] ?? ""),
        signableHeaders: new Set(authorization.signedHeaders),
      },
    );

    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1];
    if (expected !== authorization.signature) {
      return `signature ${authorization.signature} differs from the expected ${expected}`;
    }
    return undefined;
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const method = request.method ?? "GET";
      const url = request.url ?? "/";
      requests.push({ method, url, headers: request.headers });
      void check(request, body).then((reason) => {
        if (reason !== undefined) {
          mismatches.push({ method, url, reason });
          const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>${reason}</Message></Error>`;
          response.writeHead(403, { "content-type": "application/xml" });
          response.end(xml);
          return;
        }
        if (basePath !== "" && !url.startsWith(`${basePath}/`)) {
          response.writeHead(404, { "content-type": "application/xml" });
          response.end(
            "<Error><Code>NoSuchBucket</Code><Message>outside the base path</Message></Error>",
          );
          return;
        }
        const upstream = httpRequest({
          hostname: target.hostname,
          port: target.port,
          method,
          path: url.slice(basePath.length),
          headers: { ...request.headers, "content-length": String(body.byteLength) },
        });
        upstream.on("response", (reply) => {
          response.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(response);
        });
        upstream.on("error", () => response.destroy());
        upstream.end(body);
      });
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const address = host.includes(":") ? `[${host}]` : host;
  return {
    endpoint: `http://${address}:${port}${basePath}`,
    mismatches,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
