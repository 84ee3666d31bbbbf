/**
 * Shared setup for publisher tests: an s3rver bucket, a git repository, the
 * settings that point one at the other, and a plain S3 client that reads the
 * bucket independently of the store under test.
 */

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Logger } from "../../../core/logger.ts";
import type { PublishSettings, StoreSettings } from "../../../publisher/types.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import { type S3Server, startS3Server } from "../support/s3-server.ts";

export function skillFile(
  name: string,
  description = `Does ${name} things.`,
  body = "Use it well.\n",
) {
  return `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\n${body}`;
}

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

/** Returns a logger that records every line, for checks on warnings. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record =
    (level: LogLine["level"]) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  return {
    lines,
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    group: (_name, work) => work(),
  };
}

export interface StoredObject {
  bytes: Buffer;
  contentType: string | undefined;
  metadata: Record<string, string>;
}

export interface Harness {
  s3: S3Server;
  repo: GitRepo;
  client: S3Client;
  storeSettings(prefix?: string): StoreSettings;
  settings(overrides?: Partial<PublishSettings>): PublishSettings;
  keys(prefix?: string): Promise<string[]>;
  object(key: string): Promise<StoredObject>;
  text(key: string): Promise<string>;
  exists(key: string): Promise<boolean>;
  putText(key: string, text: string): Promise<void>;
  /** Modification times of every file s3rver stores, to detect writes. */
  fileTimes(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const s3 = await startS3Server();
  const repo = await createGitRepo();
  const client = new S3Client({
    region: "auto",
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const storeSettings = (prefix = ""): StoreSettings => ({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: "auto",
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    prefix,
    concurrency: 8,
    forcePathStyle: true,
  });
  const object = async (key: string): Promise<StoredObject> => {
    const output = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const bytes = Buffer.from((await output.Body?.transformToByteArray()) ?? []);
    return { bytes, contentType: output.ContentType, metadata: output.Metadata ?? {} };
  };
  return {
    s3,
    repo,
    client,
    storeSettings,
    settings: (overrides = {}) => ({
      source: {
        repositoryRoot: repo.root,
        skillsPath: "skills",
        mode: "commit",
        repository: "acme/skills",
        ref: "refs/heads/main",
        run: { id: "1", attempt: 1, url: null },
      },
      store: storeSettings(),
      channel: "production",
      validation: "strict",
      dryRun: false,
      notify: undefined,
      ...overrides,
    }),
    async keys(prefix = "") {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const entry of page.Contents ?? []) if (entry.Key) keys.push(entry.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    object,
    text: async (key) => (await object(key)).bytes.toString("utf8"),
    async putText(key, text) {
      await client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: key,
          Body: text,
          ContentType: "application/json",
        }),
      );
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
        return true;
      } catch {
        return false;
      }
    },
    async fileTimes() {
      const times = new Map<string, number>();
      const walk = async (folder: string): Promise<void> => {
        for (const entry of await readdir(folder, { withFileTypes: true })) {
          const path = join(folder, entry.name);
          if (entry.isDirectory()) await walk(path);
          else times.set(path, (await stat(path)).mtimeMs);
        }
      };
      await walk(s3.directory);
      return times;
    },
    async close() {
      client.destroy();
      await repo.close();
      await s3.close();
    },
  };
}
