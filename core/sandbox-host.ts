/**
 * The protocol of the local sandbox host: a loopback HTTP service of the
 * local stack that replaces Cloudflare's containers. The Worker's
 * `local` mount mode is its client. Every request carries
 * `Authorization: Bearer <host token>`; bodies and responses are JSON.
 *
 * - `POST /sandboxes/:sessionId/mount` with `MountRequest`: mounts (s3fs) or
 *   copies the version's prefix at `<workspace>/<mountPath>`, read-only.
 *   Returns `MountResponse`. Mounting the same version again is a no-op that
 *   returns `alreadyMounted: true`; another version over a mount answers 409.
 * - `GET /sandboxes/:sessionId`: `SandboxStatus`, 404 when unknown.
 * - `POST /sandboxes/:sessionId/exists` with `{ "path" }` (relative to the
 *   workspace): `{ "exists": boolean }`.
 * - `POST /sandboxes/:sessionId/env` with `{ "env": { NAME: value } }`: sets
 *   the environment of processes started later.
 * - `POST /sandboxes/:sessionId/processes` with `{ "command" }`: starts a
 *   process in the workspace with that environment; `{ "pid" }`.
 * - `DELETE /sandboxes/:sessionId`: unmounts and removes the workspace.
 *
 * Errors are `{ "error": { "code", "message" } }` with a 4xx or 5xx status.
 */

import { z } from "zod";
import { SESSION_ID_PATTERN, SHA256_PATTERN, VERSION_ID_PATTERN } from "./ids.ts";
import { checkRelativePath } from "./paths.ts";

const relativePath = z.string().refine((path) => checkRelativePath(path) === undefined, {
  message: "must be a safe relative path",
});

export const mountRequestSchema = z.strictObject({
  version: z.string().regex(VERSION_ID_PATTERN),
  /** Key prefix of the version in the bucket, `<root>versions/<version>/`. */
  prefix: z.string().min(1).max(1024),
  /** Key of the version's manifest, which copy mode reads. */
  manifestKey: z.string().min(1).max(1024),
  /** SHA-256 the registry recorded for the manifest; copy mode checks the manifest against it. */
  manifestSha256: z.string().regex(SHA256_PATTERN),
  /**
   * The file the mount must show, relative to the version root. With it, an
   * s3fs mount reads no manifest; without it, the manifest names the file.
   */
  knownFile: relativePath.optional(),
  /** Mount point relative to the workspace, such as `.claude/skills`. */
  mountPath: relativePath,
  readOnly: z.literal(true),
});

export const mountResponseSchema = z.strictObject({
  sessionId: z.string().regex(SESSION_ID_PATTERN),
  version: z.string().regex(VERSION_ID_PATTERN),
  mode: z.enum(["s3fs", "copy"]),
  /** Absolute path of the mount point on the host. */
  path: z.string(),
  alreadyMounted: z.boolean(),
});

export const sandboxStatusSchema = z.strictObject({
  sessionId: z.string().regex(SESSION_ID_PATTERN),
  /** Absolute path of the session's workspace on the host. */
  workspace: z.string(),
  mount: z
    .strictObject({
      version: z.string().regex(VERSION_ID_PATTERN),
      mode: z.enum(["s3fs", "copy"]),
      path: z.string(),
    })
    .nullable(),
});

export type MountRequest = z.infer<typeof mountRequestSchema>;
export type MountResponse = z.infer<typeof mountResponseSchema>;
export type SandboxStatus = z.infer<typeof sandboxStatusSchema>;
