/**
 * Copy mode moves its staging folder to the mount path. A folder already at
 * the mount path must be replaced when empty and must fail the copy when it
 * has files, never receive the staging folder inside it.
 */

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import { type CopyTarget, copyVersion } from "../../worker/mount/copy.ts";
import { knownFileOf } from "../../worker/mount/index.ts";
import { recordingProvider } from "../../worker/sandbox/recording.ts";
import { DEFAULT_FILES, randomVersion, writeVersion } from "./sessions-fixtures.ts";

const MOUNT_PATH = "/workspace/.claude/skills";

async function targetFor(version: string): Promise<CopyTarget> {
  const written = await writeVersion(version, DEFAULT_FILES, "");
  return {
    sessionId: "copy-target",
    version,
    manifestKey: written.manifestKey,
    manifestSha256: written.manifestSha256,
    knownFile: knownFileOf(written.manifest),
    manifest: written.manifest,
    mountPath: MOUNT_PATH,
    rootPrefix: "",
  };
}

const expectedPaths = DEFAULT_FILES.map((file) => file.path).sort();

describe("copy mode target folder", () => {
  const bucket = new R2Bucket(env.SKILLS_BUCKET);

  it("replaces an empty folder at the mount path", async () => {
    const provider = recordingProvider();
    const handle = provider.get("s");
    await handle.exec(`mkdir -p '${MOUNT_PATH}'`);

    await copyVersion(handle, bucket, await targetFor(randomVersion()));

    expect(provider.sandbox("s").list(MOUNT_PATH)).toEqual(expectedPaths);
  });

  it("fails on a folder with an older copy", async () => {
    const provider = recordingProvider();
    const handle = provider.get("s");
    await copyVersion(handle, bucket, await targetFor(randomVersion()));
    const before = provider.sandbox("s").list(MOUNT_PATH);

    const copying = copyVersion(handle, bucket, await targetFor(randomVersion()));

    await expect(copying).rejects.toThrow("Directory not empty");
    expect(provider.sandbox("s").list(MOUNT_PATH)).toEqual(before);
  });
});
