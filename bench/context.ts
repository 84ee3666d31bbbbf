/** The server, proxy, tools and settings that every scenario of one library size shares. */

import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { PublishSettings } from "../publisher/types.ts";
import type { Bundles } from "./bundle.ts";
import type { CeilingInput } from "./ceiling-child.ts";
import { type Library, SKILLS_PATH } from "./library.ts";
import type { CountingProxy } from "./proxy.ts";
import type { BenchServer } from "./server.ts";
import type { ReferenceTools } from "./tools.ts";

export const CHANNEL = "bench";
/** Requests in flight for the ceiling loop. */
export const CEILING_CONCURRENCY = 64;

export interface BenchContext {
  server: BenchServer;
  /** `undefined` when the server is not plain HTTP, which the proxy cannot forward. */
  proxy: CountingProxy | undefined;
  /** `undefined` for a reference tool that is not installed. */
  aws: ReferenceTools["awsSync"] | undefined;
  rclone: ReferenceTools["rclone"] | undefined;
  library: Library;
  /** Bundled publisher and ceiling children. */
  bundles: Pick<Bundles, "publisher" | "ceiling">;
  /** Key prefix of this run and size, ending in `/`. */
  prefix: string;
  /** The publisher's concurrency (its default unless the run overrides it). */
  concurrency: number;
  /** Runs that failed, each with the tool, size, round and error; the run goes on without them. */
  failures: string[];
}

/** Returns the counting proxy; throws when the server has none. */
export function requireProxy(context: BenchContext): CountingProxy {
  if (context.proxy === undefined) {
    throw new Error(
      `No counting proxy for ${context.server.endpoint}: it forwards plain HTTP only`,
    );
  }
  return context.proxy;
}

/** Runs one measured tool run; records a failure in `context.failures` and returns `undefined`. */
export async function attempt<T>(
  context: BenchContext,
  label: string,
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    context.failures.push(`${label} (${context.library.files} files): ${message}`);
    return undefined;
  }
}

export function publishSettings(
  context: BenchContext,
  prefix: string,
  endpoint: string,
): PublishSettings {
  const { server } = context;
  return {
    source: {
      repositoryRoot: context.library.root,
      skillsPath: SKILLS_PATH,
      mode: "commit",
      repository: null,
      ref: null,
      run: null,
    },
    store: {
      bucket: server.bucket,
      endpoint,
      region: server.region,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      prefix,
      concurrency: context.concurrency,
      forcePathStyle: true,
    },
    channel: CHANNEL,
    validation: "claude-code",
    dryRun: false,
    notify: undefined,
  };
}

export function ceilingInput(context: BenchContext, prefix: string): CeilingInput {
  const { server } = context;
  return {
    folder: context.library.skillsDirectory,
    endpoint: server.endpoint,
    region: server.region,
    bucket: server.bucket,
    prefix,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    concurrency: CEILING_CONCURRENCY,
  };
}

/** Returns the sizes in bytes of stored objects, read directly from the server (not counted). */
export async function objectSizes(
  context: BenchContext,
  keys: readonly string[],
): Promise<number[]> {
  const { server } = context;
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  try {
    return await Promise.all(
      keys.map(async (key) => {
        const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
        return head.ContentLength ?? 0;
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Returns `items` rotated left by `round`, so each tool takes its turn going first. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
