// A log-linear latency histogram, fio-style percentiles from it: 16 linear sub-buckets per
// power of two of nanoseconds (error under 1/16), exact below 16 ns, clamped above 2^40 ns.
// One writer per histogram; its counts may live in shared memory for other threads to read.

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const MAX_EXP = 40;
/** Buckets in one histogram. */
export const HISTOGRAM_BUCKETS = SUB + (MAX_EXP - SUB_BITS + 1) * SUB;
/** f64 words after the counts: count, sum (µs), min (µs), max (µs). */
export const HISTOGRAM_STATS = 4;
const COUNT = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;

/** Bucket of a value in nanoseconds. */
export function bucketOf(ns: number): number {
  const v = Math.max(0, Math.floor(ns));
  if (v < SUB) return v;
  const exp = Math.min(MAX_EXP, Math.floor(Math.log2(v)));
  if (exp === MAX_EXP && v >= 2 ** (MAX_EXP + 1)) return HISTOGRAM_BUCKETS - 1;
  const mantissa = Math.floor(v / 2 ** (exp - SUB_BITS)) - SUB;
  return SUB + (exp - SUB_BITS) * SUB + mantissa;
}

/** Lowest nanosecond value of a bucket and the width of the bucket. */
export function bucketRange(bucket: number): { lowNs: number; widthNs: number } {
  if (bucket < SUB) return { lowNs: bucket, widthNs: 1 };
  const exp = SUB_BITS + Math.floor((bucket - SUB) / SUB);
  const mantissa = (bucket - SUB) % SUB;
  const width = 2 ** (exp - SUB_BITS);
  return { lowNs: (SUB + mantissa) * width, widthNs: width };
}

export interface LatencySummary {
  count: number;
  min: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  readonly counts: Int32Array;
  readonly stats: Float64Array;

  /** Views over existing memory (e.g. a region of a SharedArrayBuffer). */
  constructor(counts: Int32Array, stats: Float64Array) {
    if (counts.length !== HISTOGRAM_BUCKETS || stats.length !== HISTOGRAM_STATS) {
      throw new RangeError(
        `histogram needs ${HISTOGRAM_BUCKETS} counts and ${HISTOGRAM_STATS} stats, ` +
          `got ${counts.length} and ${stats.length}`,
      );
    }
    this.counts = counts;
    this.stats = stats;
  }

  /** A histogram in this thread's own memory. */
  static create(): Histogram {
    return new Histogram(new Int32Array(HISTOGRAM_BUCKETS), new Float64Array(HISTOGRAM_STATS));
  }

  /** Record one value in microseconds. */
  record(us: number): void {
    const s = this.stats;
    const first = s[COUNT] === 0;
    s[SUM] += us;
    if (first || us < s[MIN]) s[MIN] = us;
    if (first || us > s[MAX]) s[MAX] = us;
    Atomics.add(this.counts, bucketOf(us * 1000), 1);
    s[COUNT] += 1;
  }

  get count(): number {
    return this.stats[COUNT];
  }

  reset(): void {
    this.counts.fill(0);
    this.stats.fill(0);
  }

  /** The value (µs) at quantile q in [0, 1]: the middle of its bucket, within min..max. */
  quantile(q: number): number {
    return quantileOf(this.counts, this.stats, q);
  }

  summary(): LatencySummary {
    return summarize(this.counts, this.stats);
  }

  /** A copy, so a later summary can be taken of what happened since. */
  snapshot(): Histogram {
    return new Histogram(this.counts.slice(), this.stats.slice());
  }

  /**
   * What was recorded since `earlier` (a snapshot of this one). Min and max are not kept per
   * interval, so they come from the lowest and highest bucket used (within 1/16).
   */
  since(earlier: Histogram): Histogram {
    const counts = this.counts.map((n, i) => n - earlier.counts[i]);
    const stats = new Float64Array(HISTOGRAM_STATS);
    stats[COUNT] = this.stats[COUNT] - earlier.stats[COUNT];
    stats[SUM] = this.stats[SUM] - earlier.stats[SUM];
    const first = counts.findIndex((n) => n > 0);
    const last = counts.findLastIndex((n) => n > 0);
    if (first >= 0) {
      stats[MIN] = Math.max(this.stats[MIN], bucketRange(first).lowNs / 1000);
      const top = bucketRange(last);
      stats[MAX] = Math.min(this.stats[MAX], (top.lowNs + top.widthNs) / 1000);
    }
    return new Histogram(counts, stats);
  }

  /** Add another histogram's counts into this one (owner thread only). */
  add(other: Histogram): void {
    if (other.count === 0) return;
    const s = this.stats;
    const o = other.stats;
    if (s[COUNT] === 0 || o[MIN] < s[MIN]) s[MIN] = o[MIN];
    if (s[COUNT] === 0 || o[MAX] > s[MAX]) s[MAX] = o[MAX];
    s[SUM] += o[SUM];
    s[COUNT] += o[COUNT];
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i] += other.counts[i];
  }
}

function quantileOf(counts: Int32Array, stats: Float64Array, q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    seen += counts[b];
    if (seen >= rank) {
      const { lowNs, widthNs } = bucketRange(b);
      const mid = (lowNs + widthNs / 2) / 1000;
      return Math.min(stats[MAX], Math.max(stats[MIN], mid));
    }
  }
  return stats[MAX];
}

function summarize(counts: Int32Array, stats: Float64Array): LatencySummary {
  const count = stats[COUNT];
  return {
    count,
    min: count ? stats[MIN] : 0,
    avg: count ? stats[SUM] / count : 0,
    p50: quantileOf(counts, stats, 0.5),
    p90: quantileOf(counts, stats, 0.9),
    p99: quantileOf(counts, stats, 0.99),
    p999: quantileOf(counts, stats, 0.999),
    max: count ? stats[MAX] : 0,
  };
}
