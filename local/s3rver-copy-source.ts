/** A fix for s3rver 3.7's CopyObject source header, applied before the server runs. */

import type S3rver from "s3rver";

interface HeaderContext {
  headers: Record<string, string | string[] | undefined>;
}

type Middleware = (context: HeaderContext, next: () => Promise<unknown>) => Promise<unknown>;

const COPY_SOURCE = "x-amz-copy-source";

/**
 * Returns the `x-amz-copy-source` value that s3rver's `decodeURI` turns
 * into the key S3 would read, or `undefined` for a value that is not valid
 * percent-encoding (s3rver then fails on it as before).
 */
export function reencodeCopySource(value: string): string | undefined {
  try {
    return encodeURI(decodeURIComponent(value));
  } catch {
    return undefined;
  }
}

/**
 * Makes CopyObject read the object S3 would read. Clients encode the source
 * key with `encodeURIComponent` rules (`+` as `%2B`), and S3 decodes all of
 * it. s3rver 3.7 decodes the header with `decodeURI`, which keeps `%2B`,
 * `%26`, `%23` and the other reserved escapes, so the copy of `a+b.txt`
 * reads `a%2Bb.txt`: it fails when that key is missing and silently copies
 * the wrong bytes when it exists. This rewrites the header first, so that
 * s3rver's `decodeURI` yields the fully decoded key.
 *
 * Call it before `run()`, which composes the middleware.
 */
export function fixCopySource(server: S3rver): void {
  const middleware: unknown = Reflect.get(server, "middleware");
  if (!Array.isArray(middleware)) {
    throw new Error("s3rver has no Koa middleware list; the local stack supports s3rver 3.x");
  }
  const rewrite: Middleware = (context, next) => {
    const value = context.headers[COPY_SOURCE];
    if (typeof value === "string") {
      const fixed = reencodeCopySource(value);
      if (fixed !== undefined) context.headers[COPY_SOURCE] = fixed;
    }
    return next();
  };
  middleware.unshift(rewrite);
}
