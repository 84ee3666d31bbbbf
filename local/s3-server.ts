/**
 * The local bucket: s3rver on 127.0.0.1, keeping objects in a folder so
 * versions survive restarts. s3rver accepts one fixed key pair.
 */

import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import S3rver from "s3rver";
import { assertPortFree } from "./ports.ts";

/** The only access key id and secret s3rver 3.x accepts. */
export const S3RVER_CREDENTIAL = "S3RVER";

export interface LocalS3Options {
  /** Folder for the objects; created when missing. */
  directory: string;
  bucket: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

interface ListedObject {
  key: string;
}

interface ListResult {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

interface ListOptions {
  delimiter?: string;
  startAfter?: string;
  prefix?: string;
  maxKeys?: number;
}

type ListObjects = (bucket: string, options: ListOptions) => Promise<ListResult>;

/**
 * Replaces the store's delimiter listing. s3rver 3.7 skips folders below a
 * common prefix while it walks, so a prefix whose keys all sit two or more
 * levels deeper (`references/http/errors.md` with nothing directly in
 * `references/`) is missing from `CommonPrefixes`, and s3fs does not show
 * that folder. This lists every key under the prefix and groups them itself.
 */
function fixDelimiterListing(server: S3rver): void {
  const store: unknown = Reflect.get(server, "store");
  const original: unknown =
    typeof store === "object" && store !== null ? Reflect.get(store, "listObjects") : undefined;
  if (typeof original !== "function") {
    throw new Error("s3rver has no store.listObjects; the local stack supports s3rver 3.x");
  }
  const listAll = (original as ListObjects).bind(store);
  const listObjects: ListObjects = async (bucket, options) => {
    const delimiter = options.delimiter ?? "";
    if (delimiter === "") return await listAll(bucket, options);
    const prefix = options.prefix ?? "";
    const startAfter = options.startAfter ?? "";
    const maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;
    const all = await listAll(bucket, {
      ...options,
      delimiter: "",
      maxKeys: Number.POSITIVE_INFINITY,
    });
    const objects: ListedObject[] = [];
    const commonPrefixes = new Set<string>();
    let isTruncated = false;
    for (const object of all.objects) {
      const rest = object.key.slice(prefix.length);
      const index = rest.indexOf(delimiter);
      if (index !== -1) {
        const common = object.key.slice(0, prefix.length + index + delimiter.length);
        if (common > startAfter) commonPrefixes.add(common);
        continue;
      }
      if (objects.length < maxKeys) objects.push(object);
      else isTruncated = true;
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  };
  Reflect.set(store as object, "listObjects", listObjects);
}

/** Starts s3rver with the bucket created and resolves once it listens. */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port,
    silent: true,
    directory: options.directory,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket }],
  });
  fixDelimiterListing(server);
  // s3rver 3.7 leaves a listen error unhandled instead of rejecting run().
  await assertPortFree(options.port, "--s3-port");
  const address: AddressInfo = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    port: address.port,
    close: () => server.close(),
  };
}
