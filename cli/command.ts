/** The parsed command line: which command runs and its checked settings. */

import type { ValidationLevel } from "../core/validation.ts";
import type { NotifySettings, StoreSettings } from "../publisher/types.ts";
import type { FlagKey } from "./flags.ts";

/** Invalid use of the command line: exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type Environment = Record<string, string | undefined>;

export interface CommonSettings {
  json: boolean;
  verbose: boolean;
  /** Things to tell the user before running, such as a secret passed as a flag. */
  warnings: string[];
}

export interface WorkerSettings {
  /** Base URL without a trailing slash. */
  url: string;
  adminToken: string;
}

export type CliCommand = CommonSettings &
  (
    | { name: "help"; text: string }
    | {
        name: "validate";
        skillsFolder: string;
        /** The fix to show when the folder is missing: names where the folder came from. */
        skillsFolderFix: string;
        validation: ValidationLevel;
      }
    | {
        name: "publish";
        /** Absolute path of the skills folder as given; the repository root is found from it. */
        skillsFolder: string;
        channel: string;
        validation: ValidationLevel;
        store: StoreSettings | undefined;
        notify: NotifySettings | undefined;
        dryRun: boolean;
        fromCommit: boolean;
        repository: string | null;
        ref: string | null;
      }
    | {
        name: "notify";
        version: string;
        channel: string;
        ref: string | null;
        store: StoreSettings;
        notify: NotifySettings;
      }
    | { name: "status"; channel: string | undefined; worker: WorkerSettings }
    | { name: "rollback"; channel: string; version: string; reason: string; worker: WorkerSettings }
  );

export interface FlagValue {
  value: string | boolean;
  /** The flag (`--bucket`) or variable (`R2_SKILLS_BUCKET`) that set it. */
  source: string;
}

/** The value of each flag that a flag or variable set, by flag. */
export type FlagValues = Map<FlagKey, FlagValue>;
