/** `r2-skills validate [path]`: checks the skills as they are on disk. */

import { formatCount } from "../../core/format.ts";
import type { Logger } from "../../core/logger.ts";
import { formatProblem } from "../../core/validation.ts";
import { hasErrors, validateSkills } from "../../publisher/validate.ts";
import type { CliCommand } from "../command.ts";
import { findRepository } from "../repository.ts";
import type { CommandResult } from "./result.ts";

type ValidateCommand = Extract<CliCommand, { name: "validate" }>;

export async function runValidate(
  command: ValidateCommand,
  logger: Logger,
): Promise<CommandResult> {
  const repository = await findRepository(command.skillsFolder, command.skillsFolderFix);
  logger.debug("Validating", {
    repositoryRoot: repository.root,
    skillsPath: repository.skillsPath,
    validation: command.validation,
  });
  const result = await validateSkills({
    repositoryRoot: repository.root,
    skillsPath: repository.skillsPath,
    mode: "working-tree",
    level: command.validation,
  });
  const valid = !hasErrors(result.problems);
  const errors = result.problems.filter((problem) => problem.severity === "error").length;
  const warnings = result.problems.length - errors;
  const lines = result.problems.map(formatProblem);
  lines.push(
    valid
      ? `Valid: ${formatCount(result.skills.length, "skill")} (${result.skills.map((skill) => skill.name).join(", ")}), ${formatCount(warnings, "warning")}`
      : `Invalid: ${formatCount(errors, "error")} and ${formatCount(warnings, "warning")}; fix the errors above and run again`,
  );
  return {
    exitCode: valid ? 0 : 1,
    json: {
      ok: valid,
      skillsPath: repository.skillsPath,
      validation: command.validation,
      skills: result.skills,
      problems: result.problems,
    },
    text: `${lines.join("\n")}\n`,
  };
}
