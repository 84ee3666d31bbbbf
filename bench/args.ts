/** Command-line flags of `npm run bench`. */

import { parseArgs } from "node:util";

export interface BenchOptions {
  sizes: number[];
  rounds: number;
  smoke: boolean;
  json: boolean;
  seed: number;
  /** The publisher's concurrency; `undefined` for its default. */
  concurrency: number | undefined;
}

export const DEFAULT_SIZES = [100, 1000, 5000];
export const DEFAULT_ROUNDS = 3;
export const DEFAULT_SEED = 20_260_101;
/** The library size of `--smoke`: enough for several skills, quick enough for CI. */
export const SMOKE_SIZE = 30;

export const HELP = `Usage: npm run bench -- [flags]

Benchmarks a full and an incremental publish against aws s3 sync, rclone and a
plain PutObject loop, session start with the local stack, and the Action's
cold start. Uses its own s3rver on 127.0.0.1 unless R2_SKILLS_ENDPOINT,
R2_SKILLS_BUCKET, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set.

  --sizes LIST        Library sizes in files, comma-separated (default ${DEFAULT_SIZES.join(",")})
  --rounds N          Rounds per size; figures are medians (default ${DEFAULT_ROUNDS})
  --seed N            Seed of the generated libraries (default ${DEFAULT_SEED})
  --concurrency N     Publisher requests in flight (default: the publisher's default)
  --smoke             One round at ${SMOKE_SIZE} files, for CI; checks that everything runs
  --json              Print the report as JSON instead of Markdown tables
  --help              Show this help
`;

function positiveInteger(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new RangeError(`Invalid ${flag} "${value}": expected a whole number >= 1`);
  }
  return number;
}

/** Parses the flags; returns `undefined` when `--help` was given. */
export function parseBenchArgs(args: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      sizes: { type: "string" },
      rounds: { type: "string" },
      seed: { type: "string" },
      concurrency: { type: "string" },
      smoke: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const smoke = values.smoke;
  const sizes =
    values.sizes !== undefined
      ? values.sizes.split(",").map((size) => positiveInteger("--sizes entry", size.trim()))
      : smoke
        ? [SMOKE_SIZE]
        : DEFAULT_SIZES;
  const rounds =
    values.rounds !== undefined
      ? positiveInteger("--rounds", values.rounds)
      : smoke
        ? 1
        : DEFAULT_ROUNDS;
  return {
    sizes,
    rounds,
    smoke,
    json: values.json,
    seed: values.seed !== undefined ? positiveInteger("--seed", values.seed) : DEFAULT_SEED,
    concurrency:
      values.concurrency !== undefined
        ? positiveInteger("--concurrency", values.concurrency)
        : undefined,
  };
}
