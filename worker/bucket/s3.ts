/**
 * The bucket through an S3-compatible API (R2's S3 endpoint, MinIO, s3rver),
 * with path-style URLs `<endpoint>/<bucket>/<key>` signed by aws4fetch.
 */

import { AwsClient } from "aws4fetch";
import { decodeXml, parseS3Error } from "../../core/s3-xml.ts";
import type { S3Settings } from "../config.ts";
import type { Bucket, BucketListPage, BucketObject, BucketObjectInfo } from "./types.ts";

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Parallel DELETE requests during `delete`. */
const DELETE_CONCURRENCY = 8;

const META_PREFIX = "x-amz-meta-";

function metadataOf(headers: Headers): Record<string, string> {
  const metadata: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name.startsWith(META_PREFIX)) metadata[name.slice(META_PREFIX.length)] = value;
  });
  return metadata;
}

function sizeOf(headers: Headers): number {
  return Number(headers.get("content-length") ?? "0");
}

export class S3Bucket implements Bucket {
  readonly #settings: S3Settings;
  readonly #credentials: () => S3Credentials;
  readonly #base: string;
  #client: AwsClient | undefined;

  /**
   * `credentials` is called on first use, so a missing secret fails the
   * request that needs the bucket, not the Worker's start.
   */
  constructor(settings: S3Settings, credentials: () => S3Credentials) {
    this.#settings = settings;
    this.#credentials = credentials;
    this.#base = `${settings.endpoint}/${encodeURIComponent(settings.bucket)}`;
  }

  #awsClient(): AwsClient {
    if (this.#client === undefined) {
      const credentials = this.#credentials();
      this.#client = new AwsClient({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        service: "s3",
        region: this.#settings.region,
      });
    }
    return this.#client;
  }

  #objectUrl(key: string): string {
    const segments = key.split("/");
    // URL parsing drops "." and ".." segments, even percent-encoded, so such
    // a key would address another object (a listed "versions/v/../../heads/x"
    // would delete "heads/x").
    if (segments.some((segment) => segment === "." || segment === "..")) {
      throw new Error(
        `S3 key ${JSON.stringify(key)} has a "." or ".." segment, which an S3 URL cannot address; remove the object with a tool that sends the key unchanged`,
      );
    }
    return `${this.#base}/${segments.map(encodeURIComponent).join("/")}`;
  }

  async #send(method: string, url: string, what: string): Promise<Response> {
    const client = this.#awsClient();
    let response: Response;
    try {
      response = await client.fetch(url, { method });
    } catch (error) {
      throw new Error(`S3 ${method} ${what} failed: ${String(error)}`, { cause: error });
    }
    if (response.ok || response.status === 404) return response;
    const { code, message } = parseS3Error(await response.text());
    const detail = [code, message].filter((part) => part !== undefined).join(": ");
    throw new Error(
      `S3 ${method} ${what} failed with HTTP ${response.status}${detail === "" ? "" : `: ${detail}`}`,
    );
  }

  async get(key: string): Promise<BucketObject | null> {
    const response = await this.#send("GET", this.#objectUrl(key), JSON.stringify(key));
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    const body = response.body ?? new Blob([]).stream();
    return {
      size: sizeOf(response.headers),
      metadata: metadataOf(response.headers),
      text: () => response.text(),
      arrayBuffer: () => response.arrayBuffer(),
      body,
    };
  }

  async head(key: string): Promise<BucketObjectInfo | null> {
    const response = await this.#send("HEAD", this.#objectUrl(key), JSON.stringify(key));
    if (response.status === 404) return null;
    return { size: sizeOf(response.headers), metadata: metadataOf(response.headers) };
  }

  async list(prefix: string, cursor?: string): Promise<BucketListPage> {
    const url = new URL(`${this.#base}/`);
    url.searchParams.set("list-type", "2");
    url.searchParams.set("prefix", prefix);
    if (cursor !== undefined) url.searchParams.set("continuation-token", cursor);
    const response = await this.#send("GET", url.toString(), `list of ${JSON.stringify(prefix)}`);
    if (response.status === 404) {
      throw new Error(
        `S3 list of ${JSON.stringify(prefix)} failed: the bucket does not exist; check S3_BUCKET`,
      );
    }
    const xml = await response.text();
    const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) =>
      decodeXml(match[1] ?? ""),
    );
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
    const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
    return truncated && next !== undefined ? { keys, cursor: decodeXml(next) } : { keys };
  }

  async delete(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_CONCURRENCY) {
      const batch = keys.slice(start, start + DELETE_CONCURRENCY);
      await Promise.all(
        batch.map(async (key) => {
          const response = await this.#send("DELETE", this.#objectUrl(key), JSON.stringify(key));
          await response.body?.cancel();
        }),
      );
    }
  }
}
