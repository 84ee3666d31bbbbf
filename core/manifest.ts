/**
 * The manifest: `manifests/<version>.json`, the description of one version's
 * content and the commit that produced it. It contains nothing about where or
 * when the version was published (channel, base, run), so the same version
 * can be published again or to another channel without changing it.
 */

import { z } from "zod";
import { sha256Hex } from "./encoding.ts";
import { SHA256_PATTERN, SKILL_NAME_PATTERN, VERSION_ID_PATTERN } from "./ids.ts";
import { toStoredJson } from "./json.ts";
import { checkRelativePath } from "./paths.ts";

export const MANIFEST_SCHEMA = 1;

/** File mode of a regular file as s3fs and `stat` report it (0o100644). */
export const MODE_REGULAR = 0o100644;
/** File mode of an executable file (0o100755, 33261 in decimal). */
export const MODE_EXECUTABLE = 0o100755;

const relativePath = z.string().superRefine((path, ctx) => {
  const reason = checkRelativePath(path);
  if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason });
});

export const manifestFileSchema = z.strictObject({
  /** `<skill>/<path>`, relative to the version root. */
  path: relativePath,
  /** Size in bytes. */
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(SHA256_PATTERN),
  /** `MODE_REGULAR` or `MODE_EXECUTABLE`. */
  mode: z.union([z.literal(MODE_REGULAR), z.literal(MODE_EXECUTABLE)]),
  contentType: z.string().min(1).max(200),
});

export const manifestSkillSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(SKILL_NAME_PATTERN),
  description: z.string().min(1).max(1024),
  /** The skill's folder, relative to the version root; it must equal the name. */
  path: relativePath,
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

export const commitSchema = z.strictObject({
  /** The commit sha, or `null` for a repository without commits. */
  sha: z
    .string()
    .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/)
    .nullable(),
  /** The full commit message. */
  message: z.string(),
  author: z.strictObject({ name: z.string(), email: z.string() }),
  /** Commit time, ISO 8601. */
  timestamp: z.iso.datetime({ offset: true }),
  /** Whether the version contains uncommitted changes on top of `sha`. */
  dirty: z.boolean(),
});

export const manifestSchema = z
  .strictObject({
    schema: z.literal(MANIFEST_SCHEMA),
    version: z.string().regex(VERSION_ID_PATTERN),
    /** `owner/name` on GitHub, or `null` when unknown. */
    repository: z.string().max(200).nullable(),
    commit: commitSchema,
    skills: z.array(manifestSkillSchema),
    files: z.array(manifestFileSchema),
    totals: z.strictObject({
      files: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
    }),
  })
  .superRefine((manifest, ctx) => {
    // The Worker finds a skill's SKILL.md by its name, so the folder must match.
    for (const skill of manifest.skills) {
      if (skill.path !== skill.name) {
        ctx.addIssue({
          code: "custom",
          message: `skill "${skill.name}" has the path "${skill.path}"; a skill's folder must equal its name`,
        });
      }
    }
    const seen = new Set<string>();
    for (const file of manifest.files) {
      if (seen.has(file.path)) {
        ctx.addIssue({ code: "custom", message: `duplicate file path "${file.path}"` });
      }
      seen.add(file.path);
      const skill = file.path.split("/")[0] ?? "";
      if (!manifest.skills.some((entry) => entry.path === skill)) {
        ctx.addIssue({ code: "custom", message: `file "${file.path}" belongs to no listed skill` });
      }
    }
    if (manifest.totals.files !== manifest.files.length) {
      ctx.addIssue({ code: "custom", message: "totals.files differs from the number of files" });
    }
  });

export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type ManifestSkill = z.infer<typeof manifestSkillSchema>;
export type CommitInfo = z.infer<typeof commitSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/** A manifest read from storage failed its schema. */
export class InvalidManifestError extends Error {
  override readonly name = "InvalidManifestError";
}

/**
 * Parses and checks a manifest's text. Throws `InvalidManifestError` that
 * names the first problems and where they are.
 */
export function parseManifest(text: string, source = "manifest"): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidManifestError(`${source} is not valid JSON`, { cause: error });
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new InvalidManifestError(`${source} is invalid: ${problems}`);
  }
  return result.data;
}

export interface BuildManifestInput {
  version: string;
  repository: string | null;
  commit: CommitInfo;
  skills: { name: string; description: string }[];
  files: ManifestFile[];
}

/**
 * Builds a manifest with skills and files sorted by path and totals filled
 * in, so the same content always gives the same bytes.
 */
export function buildManifest(input: BuildManifestInput): Manifest {
  const files = [...input.files].sort((a, b) => comparePaths(a.path, b.path));
  const skills = [...input.skills]
    .sort((a, b) => comparePaths(a.name, b.name))
    .map((skill): ManifestSkill => {
      const own = files.filter((file) => file.path.startsWith(`${skill.name}/`));
      return {
        name: skill.name,
        description: skill.description,
        path: skill.name,
        files: own.length,
        bytes: own.reduce((sum, file) => sum + file.size, 0),
      };
    });
  return {
    schema: MANIFEST_SCHEMA,
    version: input.version,
    repository: input.repository,
    commit: input.commit,
    skills,
    files,
    totals: { files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0) },
  };
}

/** Returns the stored text of a manifest and its SHA-256. */
export async function serializeManifest(
  manifest: Manifest,
): Promise<{ text: string; sha256: string }> {
  const text = toStoredJson(manifest);
  return { text, sha256: await sha256Hex(text) };
}

/** Orders paths by UTF-16 code units, the same in every runtime. */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Compares the content of two manifests: the same files with the same
 * sha256 and mode. Commit text may differ (a rewritten message on the
 * same tree does not change the version's files).
 */
export function sameContent(a: Manifest, b: Manifest): boolean {
  if (a.files.length !== b.files.length) return false;
  const byPath = new Map(b.files.map((file) => [file.path, file]));
  return a.files.every((file) => {
    const other = byPath.get(file.path);
    return other !== undefined && other.sha256 === file.sha256 && other.mode === file.mode;
  });
}
