/**
 * Skill repositories and publish settings for the reliability scenarios.
 * Content is derived from a seed, so every run publishes the same bytes.
 */

import { silentLogger } from "../../../core/logger.ts";
import { publish } from "../../../publisher/publish.ts";
import type { PublishResult, PublishSettings } from "../../../publisher/types.ts";
import { createGitRepo, type GitRepo } from "../support/git-repo.ts";
import type { S3Server } from "../support/s3-server.ts";

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function skillFile(name: string, extra = ""): string {
  return `---\nname: ${name}\ndescription: The ${name} skill for reliability tests.\n---\n# ${name}\n\nUse it well.\n${extra}`;
}

/** Writes `skills` skill folders of seeded text, binary, empty and executable files. */
export async function writeSkills(repo: GitRepo, seed: number, skills = 3): Promise<void> {
  const random = seededRandom(seed);
  for (let index = 0; index < skills; index++) {
    const name = `skill-${index}`;
    await repo.write(`skills/${name}/SKILL.md`, skillFile(name, `seed ${seed}\n`));
    await repo.write(
      `skills/${name}/references/notes.md`,
      `notes ${seed} ${random()}\n`.repeat(40),
    );
    await repo.write(`skills/${name}/scripts/run.sh`, `#!/bin/sh\necho ${seed}\n`, 0o755);
    const binary = new Uint8Array(1024 + Math.floor(random() * 64 * 1024));
    for (let i = 0; i < binary.length; i++) binary[i] = Math.floor(random() * 256);
    await repo.write(`skills/${name}/assets/data.bin`, binary);
    await repo.write(`skills/${name}/assets/empty.txt`, "");
  }
}

/** A repository with seeded skills, committed; returns the repository and the sha. */
export async function seededRepository(
  seed: number,
  skills = 3,
): Promise<{ repo: GitRepo; sha: string }> {
  const repo = await createGitRepo();
  await writeSkills(repo, seed, skills);
  const sha = await repo.commit({ message: `Skills for seed ${seed}` });
  return { repo, sha };
}

export interface SettingsInput {
  repositoryRoot: string;
  s3: S3Server;
  /** The S3 endpoint to use, such as a fault proxy's URL; the server's own by default. */
  endpoint?: string;
  prefix?: string;
  channel?: string;
  concurrency?: number;
  /**
   * Timeout of one S3 request; 15 s by default, so a loaded test machine
   * does not fail publishes. Fault runs pass a short one, so hung requests
   * cost little time.
   */
  requestTimeoutMs?: number;
  notify?: PublishSettings["notify"];
}

export function publishSettings(input: SettingsInput): PublishSettings {
  return {
    source: {
      repositoryRoot: input.repositoryRoot,
      skillsPath: "skills",
      mode: "commit",
      repository: "acme/skills",
      ref: "refs/heads/main",
      run: null,
    },
    store: {
      bucket: input.s3.bucket,
      endpoint: input.endpoint ?? input.s3.endpoint,
      region: "us-east-1",
      accessKeyId: input.s3.accessKeyId,
      secretAccessKey: input.s3.secretAccessKey,
      prefix: input.prefix ?? "",
      concurrency: input.concurrency ?? 4,
      forcePathStyle: true,
      requestTimeoutMs: input.requestTimeoutMs ?? 15_000,
    },
    channel: input.channel ?? "production",
    validation: "claude-code",
    dryRun: false,
    notify: input.notify,
  };
}

/** Runs a publish and returns its result or the error it threw. */
export async function tryPublish(
  settings: PublishSettings,
): Promise<{ ok: true; result: PublishResult } | { ok: false; error: unknown }> {
  try {
    return { ok: true, result: await publish(settings, silentLogger) };
  } catch (error: unknown) {
    return { ok: false, error };
  }
}
