/**
 * Run counts and seeds of the reliability suite. Every property and every
 * fault schedule uses a fixed seed, so a failure repeats on the next run.
 * `R2_SKILLS_LONG=1` selects the long mode: more runs and more seeds.
 */

export const LONG = process.env.R2_SKILLS_LONG === "1";

/** The seed of every property in the default mode. */
export const BASE_SEED = 20_261_204;

/** Returns `short` runs in the default mode and `long` runs in the long mode. */
export function runs(short: number, long: number): number {
  return LONG ? long : short;
}

/** The fast-check parameters for one property: fixed seed, mode-dependent run count. */
export function propertyParameters(short: number, long: number): { seed: number; numRuns: number } {
  return { seed: BASE_SEED, numRuns: runs(short, long) };
}

/** Returns `count` seeds derived from `BASE_SEED`, one per seeded scenario run. */
export function seeds(count: number): number[] {
  return Array.from({ length: count }, (_, index) => BASE_SEED + index * 7919);
}
