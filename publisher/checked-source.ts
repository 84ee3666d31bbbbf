/**
 * The validate phase of a publish: validate the skills, log every problem
 * and resolve the version the files would be published as.
 */

import type { Logger } from "../core/logger.ts";
import { formatProblem } from "../core/validation.ts";
import { headSha } from "./git.ts";
import { hashEntries, type SourceFile } from "./source-tree.ts";
import type { PublishSettings } from "./types.ts";
import { normalizeSkillsPath, type ValidateResult, validateSkills } from "./validate.ts";
import { resolveVersion, type VersionInfo } from "./version.ts";

/** The validated source and its version. */
export interface CheckedSource extends ValidateResult, VersionInfo {
  /**
   * The files with their digests, when working-tree mode hashed them to
   * derive the version. In commit mode this is `undefined`, because each
   * file is hashed as it is written.
   */
  files: SourceFile[] | undefined;
}

/** Validates the source, logs every problem and resolves the version. */
export async function readSource(
  settings: PublishSettings,
  logger: Logger,
): Promise<CheckedSource> {
  const source = settings.source;
  // HEAD is read once, so a commit made during the publish cannot mix two trees.
  const head = await headSha(source.repositoryRoot);
  const result = await validateSkills({
    repositoryRoot: source.repositoryRoot,
    skillsPath: source.skillsPath,
    mode: source.mode,
    level: settings.validation,
    ...(head === null ? {} : { commit: head }),
  });
  for (const problem of result.problems) {
    const line = formatProblem(problem);
    if (problem.severity === "error") logger.error(line);
    else logger.warn(line);
  }
  let files: SourceFile[] | undefined;
  const version = await resolveVersion(
    source.repositoryRoot,
    normalizeSkillsPath(source.skillsPath),
    source.mode,
    async () => {
      files = await hashEntries(result.entries);
      return files;
    },
    head,
  );
  logger.info(
    `Found ${result.skills.length} skills and ${result.entries.length} files for version ${version.version}`,
  );
  return { ...result, ...version, files };
}
