/**
 * Shared setup of the session, mount and sandbox tests: versions written to
 * the real R2 binding and recorded in the real Registry, and the session
 * Worker's app built with the real SessionStore and a recording sandbox.
 */

import { env } from "cloudflare:workers";
import type { Hono } from "hono";
import { sha256Hex, utf8 } from "../../core/encoding.ts";
import { objectKey, manifestKey as versionManifestKey } from "../../core/keys.ts";
import { silentLogger } from "../../core/logger.ts";
import {
  buildManifest,
  type Manifest,
  type ManifestFile,
  MODE_EXECUTABLE,
  MODE_REGULAR,
  serializeManifest,
} from "../../core/manifest.ts";
import { createApp } from "../../worker/app.ts";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import type { Bucket } from "../../worker/bucket/types.ts";
import { loadConfig } from "../../worker/config.ts";
import type { Env } from "../../worker/env.ts";
import type { AppEnv } from "../../worker/log.ts";
import { registryStub } from "../../worker/registry/stub.ts";
import { type RecordingProvider, recordingProvider } from "../../worker/sandbox/recording.ts";
import type { MountRequest } from "../../worker/sandbox/types.ts";
import { sessionStoreStub } from "../../worker/sessions/stub.ts";

export const SESSION_TOKEN = "test-session-token";
export const ADMIN_TOKEN = "test-admin-token";

/** Returns a random 40-digit version id, so tests never share versions. */
export function randomVersion(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Returns a random channel name. */
export function randomChannel(): string {
  return `test-${crypto.randomUUID().slice(0, 8)}`;
}

export interface FixtureFile {
  path: string;
  content: string;
  executable?: boolean;
}

export const DEFAULT_FILES: FixtureFile[] = [
  {
    path: "commit-messages/SKILL.md",
    content: "---\nname: commit-messages\ndescription: Writes commit messages.\n---\nBody\n",
  },
  { path: "commit-messages/scripts/check.sh", content: "#!/bin/sh\nexit 0\n", executable: true },
  {
    path: "review/SKILL.md",
    content: "---\nname: review\ndescription: Reviews code.\n---\nBody\n",
  },
  { path: "review/references/api/checklist.md", content: "- names\n" },
];

/** Writes a version's objects and manifest to the bucket; returns the manifest and its key and digest. */
export async function writeVersion(
  version: string,
  files: FixtureFile[] = DEFAULT_FILES,
  rootPrefix = "",
  editManifest: (manifest: Manifest) => Manifest = (manifest) => manifest,
): Promise<{ manifest: Manifest; manifestKey: string; manifestSha256: string }> {
  const entries: ManifestFile[] = [];
  for (const file of files) {
    const bytes = utf8(file.content);
    await env.SKILLS_BUCKET.put(objectKey(rootPrefix, version, file.path), bytes);
    entries.push({
      path: file.path,
      size: bytes.byteLength,
      sha256: await sha256Hex(bytes),
      mode: file.executable === true ? MODE_EXECUTABLE : MODE_REGULAR,
      contentType: "text/plain",
    });
  }
  const skillNames = [...new Set(files.map((file) => file.path.split("/")[0] ?? ""))];
  const manifest = buildManifest({
    version,
    repository: "example/skills",
    commit: {
      sha: version,
      message: "Add skills",
      author: { name: "Test", email: "test@example.com" },
      timestamp: new Date().toISOString(),
      dirty: false,
    },
    skills: skillNames.map((name) => ({ name, description: `The ${name} skill` })),
    files: entries,
  });
  // The edit may break the schema on purpose: the stored text is not parsed here.
  const { text, sha256 } = await serializeManifest(editManifest(manifest));
  const key = versionManifestKey(rootPrefix, version);
  await env.SKILLS_BUCKET.put(key, text);
  return { manifest, manifestKey: key, manifestSha256: sha256 };
}

/** Writes a version and records it in the Registry as current on `channel`. */
export async function publishVersion(
  channel: string,
  version = randomVersion(),
  files: FixtureFile[] = DEFAULT_FILES,
  commitTime = new Date(),
  editManifest?: (manifest: Manifest) => Manifest,
): Promise<{ version: string; manifest: Manifest }> {
  const { manifest, manifestKey, manifestSha256 } = await writeVersion(
    version,
    files,
    "",
    editManifest,
  );
  const timestamp = commitTime.toISOString();
  const result = await registryStub(env).publish({
    webhookId: `msg_${crypto.randomUUID()}`,
    bodySha256: await sha256Hex(`${version}/${channel}`),
    notification: {
      type: "skills.published",
      timestamp,
      data: {
        version,
        channel,
        manifestKey,
        manifestSha256,
        base: null,
        repository: "example/skills",
        ref: "refs/heads/main",
        commit: { sha: version, timestamp },
        run: null,
        publishedAt: timestamp,
      },
    },
    summary: {
      repository: "example/skills",
      commit: { sha: version, subject: "Add skills", author: "Test", timestamp, dirty: false },
      skills: manifest.skills.map((skill) => ({
        name: skill.name,
        description: skill.description,
        files: skill.files,
        bytes: skill.bytes,
      })),
      totals: manifest.totals,
    },
  });
  if (result.status !== 200)
    throw new Error(`Recording version ${version} failed: ${JSON.stringify(result.body)}`);
  return { version, manifest };
}

/** A clock the tests move by hand. */
export class TestClock {
  ms = Date.UTC(2026, 11, 4, 12, 0, 0);
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Lists the bucket under a mount request's prefix, as a real mount would show it. */
export async function bucketFilesUnder(request: MountRequest): Promise<string[]> {
  const prefix = request.prefix.replace(/^\//, "");
  const listed = await env.SKILLS_BUCKET.list({ prefix });
  return listed.objects.map((object) => object.key.slice(prefix.length));
}

export interface TestApp {
  app: Hono<AppEnv>;
  sandboxes: RecordingProvider;
  clock: TestClock;
  request(
    path: string,
    init?: {
      method?: string;
      body?: unknown;
      token?: string | null;
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  createSession(body?: unknown): Promise<Response>;
}

/**
 * Builds the Worker's app as worker/index.ts does, except for the recording
 * sandbox, a hand-moved clock and `vars` laid over the test Worker's env.
 */
export function buildApp(
  vars: Partial<Omit<Env, "SKILLS_BUCKET" | "REGISTRY" | "SESSIONS" | "SANDBOX">> = {},
  sandboxes = recordingProvider({ mountedFiles: bucketFilesUnder }),
  bucket?: Bucket,
): TestApp {
  const testEnv: Env = { ...env, ...vars };
  const config = loadConfig(testEnv);
  const clock = new TestClock();
  const app = createApp({
    config,
    bucket: bucket ?? new R2Bucket(testEnv.SKILLS_BUCKET),
    registry: registryStub(testEnv),
    sessions: sessionStoreStub(testEnv),
    sandboxes,
    now: clock.now,
    logger: silentLogger,
  });
  const request: TestApp["request"] = (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const token = init.token === undefined ? SESSION_TOKEN : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    return Promise.resolve(
      app.request(path, {
        method: init.method ?? "GET",
        headers,
        ...(init.body === undefined
          ? {}
          : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
      }),
    );
  };
  return {
    app,
    sandboxes,
    clock,
    request,
    createSession: (body = {}) => request("/sessions", { method: "POST", body }),
  };
}
