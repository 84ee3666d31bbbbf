import type { Manifest } from "../../core/manifest.ts";
import type { VersionSummary } from "../registry/types.ts";

/** The manifest facts the registry keeps for a version. */
export function summarize(manifest: Manifest): VersionSummary {
  return {
    repository: manifest.repository,
    commit: {
      sha: manifest.commit.sha,
      subject: manifest.commit.message.split("\n", 1)[0] ?? "",
      author: manifest.commit.author.name,
      timestamp: manifest.commit.timestamp,
      dirty: manifest.commit.dirty,
    },
    skills: manifest.skills.map((skill) => ({
      name: skill.name,
      description: skill.description,
      files: skill.files,
      bytes: skill.bytes,
    })),
    totals: { files: manifest.totals.files, bytes: manifest.totals.bytes },
  };
}
