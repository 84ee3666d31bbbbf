/** Summary statistics for the benchmark's repeated measurements. */

/** The median of `values`; `NaN` for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * The median of the per-round ratios `numerator[i] / denominator[i]`. Pairing
 * by round cancels drift that affects both tools of a round alike.
 */
export function medianRatio(numerator: readonly number[], denominator: readonly number[]): number {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    const top = numerator[i];
    const bottom = denominator[i];
    if (top !== undefined && bottom !== undefined && bottom > 0) ratios.push(top / bottom);
  }
  return median(ratios);
}
