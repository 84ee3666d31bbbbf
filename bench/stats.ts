/** Summary statistics for the benchmark's repeated measurements. */

/** Returns the median of the finite `values` (a failed run is `NaN`); `NaN` when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * Returns the median of the per-round ratios `numerator[i] / denominator[i]`. Pairing
 * by round cancels drift that affects both tools of a round alike.
 */
export function medianRatio(numerator: readonly number[], denominator: readonly number[]): number {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    const top = numerator[i];
    const bottom = denominator[i];
    if (top !== undefined && bottom !== undefined && bottom > 0) ratios.push(top / bottom);
    // A failed run is NaN, so its ratio is NaN and median() drops it.
  }
  return median(ratios);
}
