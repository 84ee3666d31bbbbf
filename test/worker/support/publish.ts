/**
 * Writes versions into the R2 binding as the publisher would (objects, then
 * the manifest, then the head) and builds signed notifications for them.
 */

import { env } from "cloudflare:workers";
import { sha256Hex } from "../../../core/encoding.ts";
import { headKey, manifestKey, objectKey } from "../../../core/keys.ts";
import {
  buildManifest,
  type ManifestFile,
  MODE_REGULAR,
  serializeManifest,
} from "../../../core/manifest.ts";
import { NOTIFICATION_TYPE, type PublishNotification } from "../../../core/notification.ts";
import { signHeaders } from "../../../core/signing.ts";

export function randomVersion(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export interface StoredVersion {
  version: string;
  manifestKey: string;
  manifestSha256: string;
  manifestText: string;
  objectKeys: string[];
}

/** Uploads a one-skill version with `files` (path under the skill to content). */
export async function putVersion(
  version: string,
  options: { root?: string; commitTime?: string; files?: Record<string, string> } = {},
): Promise<StoredVersion> {
  const root = options.root ?? "";
  const files = options.files ?? {
    "SKILL.md": `---\nname: demo\ndescription: Demo skill ${version}\n---\nBody\n`,
    "scripts/run.sh": `echo ${version}\n`,
  };
  const entries: ManifestFile[] = [];
  const objectKeys: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const key = objectKey(root, version, `demo/${path}`);
    await env.SKILLS_BUCKET.put(key, content);
    objectKeys.push(key);
    entries.push({
      path: `demo/${path}`,
      size: new TextEncoder().encode(content).byteLength,
      sha256: await sha256Hex(content),
      mode: MODE_REGULAR,
      contentType: "text/plain",
    });
  }
  const manifest = buildManifest({
    version,
    repository: "example/skills",
    commit: {
      sha: version,
      message: `Publish ${version}\n\nDetails`,
      author: { name: "Tester", email: "tester@example.com" },
      timestamp: options.commitTime ?? "2026-01-01T00:00:00Z",
      dirty: false,
    },
    skills: [{ name: "demo", description: `Demo skill ${version}` }],
    files: entries,
  });
  const { text, sha256 } = await serializeManifest(manifest);
  const key = manifestKey(root, version);
  await env.SKILLS_BUCKET.put(key, text);
  return { version, manifestKey: key, manifestSha256: sha256, manifestText: text, objectKeys };
}

/** Writes `heads/<channel>.json` naming `stored`. */
export async function putHead(stored: StoredVersion, channel: string, root = ""): Promise<void> {
  const head = {
    schema: 1,
    channel,
    version: stored.version,
    manifestKey: stored.manifestKey,
    manifestSha256: stored.manifestSha256,
    base: null,
    commit: { sha: stored.version, timestamp: "2026-01-01T00:00:00Z" },
    run: null,
    publishedAt: new Date().toISOString(),
  };
  await env.SKILLS_BUCKET.put(headKey(root, channel), JSON.stringify(head));
}

export function notificationFor(
  stored: Pick<StoredVersion, "version" | "manifestKey" | "manifestSha256">,
  options: { channel?: string; commitTime?: string; publishedAt?: string } = {},
): PublishNotification {
  return {
    type: NOTIFICATION_TYPE,
    timestamp: new Date().toISOString(),
    data: {
      version: stored.version,
      channel: options.channel ?? "production",
      manifestKey: stored.manifestKey,
      manifestSha256: stored.manifestSha256,
      base: null,
      repository: "example/skills",
      ref: "refs/heads/main",
      commit: { sha: stored.version, timestamp: options.commitTime ?? "2026-01-01T00:00:00Z" },
      run: null,
      publishedAt: options.publishedAt ?? new Date().toISOString(),
    },
  };
}

export interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** Signs `body` with WEBHOOK_SECRET (or `secret`) as a Standard Webhooks delivery. */
export async function signedDelivery(
  body: string,
  options: { id?: string; secret?: string; timestamp?: number } = {},
): Promise<Delivery> {
  const secret = options.secret ?? env.WEBHOOK_SECRET ?? "";
  const id = options.id ?? `msg_${crypto.randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = await signHeaders(secret, id, timestamp, body);
  return { body, headers: { ...headers, "content-type": "application/json" } };
}

export function deliver(
  app: { request(url: string, init: RequestInit): Response | Promise<Response> },
  delivery: Delivery,
): Promise<Response> {
  return Promise.resolve(
    app.request("http://worker.test/webhooks/publish", {
      method: "POST",
      body: delivery.body,
      headers: delivery.headers,
    }),
  );
}

/** Uploads a version and delivers its signed notification. */
export async function publish(
  app: Parameters<typeof deliver>[0],
  stored: StoredVersion,
  options: Parameters<typeof notificationFor>[1] = {},
): Promise<Response> {
  const body = JSON.stringify(notificationFor(stored, options));
  return deliver(app, await signedDelivery(body));
}
