// A figure measured over several trials: its median, with the min–max beside it. One preemption
// on a 2-core machine can decide a single run's figure; the median of several cannot.

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** The median and min–max of `values` (all 0 for none). */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0 };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}
