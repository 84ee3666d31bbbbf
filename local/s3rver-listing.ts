/** A fix for s3rver 3.7's listings with a delimiter, applied to a running instance. */

import type S3rver from "s3rver";

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
export function fixDelimiterListing(server: S3rver): void {
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
