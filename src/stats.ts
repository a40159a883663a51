/**
 * The small statistics the patterns, scenarios, doctor, the renderers and bench share: nearest-rank percentiles (of
 * samples, of counted values, of bench's latency histogram), rounding, maxima. Pure.
 */

/**
 * Nearest-rank percentile (p in 0–100) of `values` in any order; null when there are none. p99 of 30 is the largest.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0–100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * Nearest-rank percentile (p in (0, 100]) of samples already sorted ascending: the smallest sample with at least
 * p % at or below it. Throws on no samples (the caller has a count to check first).
 */
export function percentileOfSorted(sortedAsc: readonly number[], p: number): number {
  if (sortedAsc.length === 0) throw new RangeError("percentile of no samples");
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sortedAsc.length);
  return sortedAsc[Math.min(sortedAsc.length, Math.max(1, rank)) - 1]!;
}

/** `n` rounded to `digits` decimals (3: microseconds of a millisecond figure). */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** `round`, passing null through (a percentile of no samples). */
export function roundOrNull(n: number | null, digits = 3): number | null {
  return n === null ? null : round(n, digits);
}

/**
 * Nearest-rank quantile (q in (0, 1]) of `values` sorted ascending, each counted `weights[i]` times (`total`:
 * their sum): the smallest value with at least q of the count at or below it; the largest value when rounding
 * leaves the rank unreached. A histogram's percentile without a histogram's buckets (a plot's weighted samples,
 * a sampler's counts per whole millisecond).
 */
export function weightedQuantileOfSorted(
  values: readonly number[],
  weights: readonly number[],
  total: number,
  q: number,
): number {
  const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    seen += weights[i]!;
    if (seen >= rank) return values[i]!;
  }
  return values[values.length - 1] ?? 0;
}

/**
 * `fraction` as a percentage rounded to `digits` decimals (0.12345 → 12.3 with 1): one rounding of
 * fraction × 10^(digits + 2), so no error of a multiplication by 100 first.
 */
export function roundPercent(fraction: number, digits = 1): number {
  return Math.round(fraction * 10 ** (digits + 2)) / 10 ** digits;
}

/** The largest value, or null for none (no spread: a big run has hundreds of thousands of samples). */
export function maxOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => (b > a ? b : a), -Infinity);
}

/**
 * Bench's latency histogram, log-linear in the spirit of HdrHistogram: values (microseconds, whole numbers) below
 * 2 × SUB are counted exactly; above, each power of two is split into SUB equal buckets, so any recorded value is
 * known to within 1/SUB (under 1.6%) whatever its size, in a few kilobytes. Histograms from several workers merge
 * by adding counts, so percentiles are exact over all operations rather than averaged per worker.
 */
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64 buckets per power of two
const LINEAR = 2 * SUB; // 0…127 exactly

export interface HistogramData {
  counts: number[];
  total: number;
  min: number;
  max: number;
  sum: number;
}

export class LatencyHistogram {
  private counts: number[] = [];
  total = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  sum = 0;

  /** Record one value in microseconds (fractions are rounded; negative values count as 0). */
  record(micros: number): void {
    const v = micros > 0 ? Math.round(micros) : 0;
    const i = v < LINEAR ? v : bucketOf(v);
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i]! += 1;
    this.total += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at percentile `p` (0–100): the smallest bucket value at or below which p% of the values lie. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total));
    if (rank >= this.total) return this.max;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i)));
    }
    return this.max;
  }

  mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  merge(other: HistogramData): void {
    while (this.counts.length < other.counts.length) this.counts.push(0);
    other.counts.forEach((n, i) => (this.counts[i]! += n));
    this.total += other.total;
    this.sum += other.sum;
    if (other.total > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
  }

  /** The non-empty buckets, in order: each bucket's reported value and how many values it counted. */
  buckets(): { value: number; count: number }[] {
    const out: { value: number; count: number }[] = [];
    this.counts.forEach((count, i) => {
      if (count > 0) out.push({ value: Math.min(this.max, Math.max(this.min, valueOf(i))), count });
    });
    return out;
  }

  toData(): HistogramData {
    return {
      counts: [...this.counts],
      total: this.total,
      min: this.total ? this.min : 0,
      max: this.max,
      sum: this.sum,
    };
  }

  static from(data: HistogramData): LatencyHistogram {
    const h = new LatencyHistogram();
    h.merge(data);
    return h;
  }
}

/** The bucket a whole number falls in. */
export function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  if (v < 2 ** 31) {
    // The same, in integer operations: 31 - clz32(v) is floor(log2(v)).
    const bits = 31 - Math.clz32(v) - SUB_BITS;
    return LINEAR + (bits - 1) * SUB + ((v >>> bits) - SUB);
  }
  const shift = Math.floor(Math.log2(v)) - SUB_BITS; // v >> shift is in [SUB, 2·SUB)
  return LINEAR + (shift - 1) * SUB + (Math.floor(v / 2 ** shift) - SUB);
}

/** The middle of a bucket's range: the value reported for everything counted in it. */
export function valueOf(i: number): number {
  if (i < LINEAR) return i;
  const shift = Math.floor((i - LINEAR) / SUB) + 1;
  const lower = (SUB + ((i - LINEAR) % SUB)) * 2 ** shift;
  return lower + (2 ** shift - 1) / 2;
}
