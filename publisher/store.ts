/**
 * The bucket as the publisher uses it: get, head, put, copy and list over
 * the S3 API, with bounded concurrency, one layer of retries (backoff with
 * jitter on throttling, 5xx, timeouts and connection errors) and a timeout
 * per request. Keys are passed through unchanged.
 */

import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Logger } from "../core/logger.ts";
import { type Agents, DirectRequests } from "./direct-requests.ts";
import { PublishError } from "./errors.ts";
import { DEFAULT_CONCURRENCY } from "./input-checks.ts";
import { createLimiter } from "./limiter.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from "./retry.ts";
import {
  copySource,
  createAgents,
  createS3Client,
  describeError,
  isNotFound,
  isRetryable,
  remedyFor,
} from "./s3-client.ts";
import type { StoreSettings } from "./types.ts";

/** Files above this size go up as multipart uploads, in parts of this size. */
export const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;
/** Time allowed for one request, in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Parts of one multipart upload in flight at once. */
const MULTIPART_QUEUE_SIZE = 4;

export interface StoreOptions {
  logger: Logger;
  retry?: RetryPolicy;
  timeoutMs?: number;
  multipartThresholdBytes?: number;
}

export interface ObjectInfo {
  size: number;
  contentType: string | undefined;
  /** User metadata, keys without `x-amz-meta-`. */
  metadata: Record<string, string>;
}

export interface PutOptions {
  contentType: string;
  metadata: Record<string, string>;
  /**
   * Hex SHA-256 of the body when the caller has it. It is sent as
   * `x-amz-content-sha256`, so the signer uses it without hashing the body
   * again and the server rejects a body that does not match.
   */
  sha256?: string;
}

/** Header of the SigV4 payload hash. The SDK's signer uses it when present. */
const PAYLOAD_SHA256_HEADER = "x-amz-content-sha256";

/** Sets the payload hash header of a command's request before it is signed. */
function sendPayloadSha256(command: PutObjectCommand, sha256: string): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request;
      if (typeof request === "object" && request !== null && "headers" in request) {
        const headers = request.headers as Record<string, string>;
        headers[PAYLOAD_SHA256_HEADER] = sha256;
      }
      return next(args);
    },
    { step: "build", name: "knownPayloadSha256" },
  );
}

export class S3Store {
  readonly bucket: string;
  readonly #client: S3Client;
  readonly #agents: Agents;
  /** The access key id and secret key, kept only to redact them from messages. */
  readonly #credentials: readonly string[];
  /** PutObject and CopyObject without the SDK, for path-style endpoints. */
  readonly #direct: DirectRequests | undefined;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #multipartThreshold: number;
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>;
  /** Aborted by `destroy`, so requests still queued, retrying or in flight end at once. */
  readonly #closed = new AbortController();

  constructor(settings: StoreSettings, options: StoreOptions) {
    this.bucket = settings.bucket;
    this.#logger = options.logger;
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#timeoutMs = options.timeoutMs ?? settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#multipartThreshold = options.multipartThresholdBytes ?? MULTIPART_THRESHOLD_BYTES;
    this.#credentials = [settings.secretAccessKey, settings.accessKeyId];
    const concurrency = settings.concurrency || DEFAULT_CONCURRENCY;
    this.#limit = createLimiter(concurrency);
    this.#agents = createAgents(concurrency);
    this.#client = createS3Client(settings, this.#timeoutMs, this.#agents);
    // Virtual-hosted addressing (AWS S3) stays with the SDK, which also follows its redirects.
    this.#direct = settings.forcePathStyle ? new DirectRequests(settings, this.#agents) : undefined;
  }

  /**
   * Returns the object's bytes, or `undefined` when the key does not exist.
   * Retry warnings go to `logger`, the store's own by default.
   */
  async getBytes(key: string, logger?: Logger): Promise<Uint8Array | undefined> {
    const read = async (abortSignal: AbortSignal): Promise<Uint8Array | undefined> => {
      try {
        const output = await this.#client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: key }),
          { abortSignal },
        );
        if (output.Body === undefined) return new Uint8Array();
        return await output.Body.transformToByteArray();
      } catch (error: unknown) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    };
    return this.#request("GET", key, read, logger);
  }

  /** Returns the object as UTF-8 text, or `undefined` when the key does not exist. */
  async getText(key: string, logger?: Logger): Promise<string | undefined> {
    const bytes = await this.getBytes(key, logger);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }

  /** Returns the object's size and metadata, or `undefined` when the key does not exist. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.#request("HEAD", key, async (abortSignal) => {
      try {
        const output = await this.#client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
          { abortSignal },
        );
        return {
          size: output.ContentLength ?? 0,
          contentType: output.ContentType,
          metadata: output.Metadata ?? {},
        };
      } catch (error: unknown) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  /** Writes an object; bodies above the multipart threshold go up in parts. */
  async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    const params = {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentType: options.contentType,
      Metadata: options.metadata,
    };
    if (body.byteLength > this.#multipartThreshold) {
      // NOTE: one multipart upload takes one slot of the concurrency limit
      // but sends up to MULTIPART_QUEUE_SIZE parts at once.
      await this.#request("PUT (multipart)", key, async () => {
        const upload = new Upload({
          client: this.#client,
          params,
          partSize: this.#multipartThreshold,
          queueSize: MULTIPART_QUEUE_SIZE,
          leavePartsOnError: false,
        });
        await upload.done();
      });
      return;
    }
    const direct = this.#direct;
    if (direct !== undefined) {
      await this.#request("PUT", key, (abortSignal) => direct.put(key, body, options, abortSignal));
      return;
    }
    await this.#request("PUT", key, async (abortSignal) => {
      const command = new PutObjectCommand(params);
      if (options.sha256 !== undefined) sendPayloadSha256(command, options.sha256);
      await this.#client.send(command, { abortSignal });
    });
  }

  /**
   * Copies `sourceKey` to `key` inside the bucket, keeping the source's
   * content type and metadata. Returns `"missing"` when the source does not exist.
   */
  async copy(sourceKey: string, key: string): Promise<"copied" | "missing"> {
    const direct = this.#direct;
    return this.#request("COPY", key, async (abortSignal) => {
      try {
        if (direct !== undefined) {
          await direct.copy(sourceKey, key, abortSignal);
          return "copied";
        }
        await this.#client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: key,
            CopySource: copySource(this.bucket, sourceKey),
            MetadataDirective: "COPY",
          }),
          { abortSignal },
        );
        return "copied";
      } catch (error: unknown) {
        if (isNotFound(error)) return "missing";
        throw error;
      }
    });
  }

  /** Lists every key under `prefix`, following continuation tokens. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#request("LIST", prefix, (abortSignal) =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
          }),
          { abortSignal },
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  /** Ends every request still queued, waiting to retry or in flight, and closes the sockets. */
  destroy(): void {
    this.#closed.abort();
    this.#client.destroy();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /**
   * Runs one request under the concurrency limit with retries and a timeout.
   * Messages never contain the credentials, even when a server echoes them.
   */
  #request<T>(
    operation: string,
    key: string,
    send: (abortSignal: AbortSignal) => Promise<T>,
    logger: Logger = this.#logger,
  ): Promise<T> {
    const closed = this.#closed.signal;
    return this.#limit(async () => {
      let timeout: AbortSignal | undefined;
      const detail = (error: unknown): string =>
        this.#redact(
          timeout?.aborted === true
            ? `no response within ${this.#timeoutMs} ms, so the request timed out`
            : describeError(error),
        );
      try {
        if (closed.aborted) throw new Error("the store was closed before the request was sent");
        return await withRetry(
          this.#retry,
          {
            isRetryable,
            signal: closed,
            onRetry: (error, attempt, waitMs) =>
              logger.warn(`${operation} ${key} failed, retrying in ${waitMs} ms`, {
                attempt,
                error: detail(error),
              }),
          },
          () => {
            timeout = AbortSignal.timeout(this.#timeoutMs);
            return send(AbortSignal.any([timeout, closed]));
          },
        );
      } catch (error: unknown) {
        throw new PublishError(
          "store",
          `${operation} ${JSON.stringify(key)} in bucket ${JSON.stringify(this.bucket)} failed: ${detail(error)}; ${remedyFor(error)}`,
          { cause: error },
        );
      }
    });
  }

  /** Replaces the access key id and the secret key wherever a server's message repeats them. */
  #redact(text: string): string {
    let redacted = text;
    for (const secret of this.#credentials) {
      if (secret.length > 0) redacted = redacted.replaceAll(secret, "[redacted]");
    }
    return redacted;
  }
}
