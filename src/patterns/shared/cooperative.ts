import { InterruptedError } from "../../errors.js";

/**
 * Long in-process loops that yield: building a million players, sorting them, generating ten million addresses take
 * seconds of CPU, and while JavaScript runs no signal handler can (Ctrl-C would wait for the loop). These helpers do
 * the same work in slices of at most SLICE_MS, letting the event loop in between, and stop with InterruptedError once
 * `signal` is aborted, so Ctrl-C is honoured within about SLICE_MS.
 */

/** How long one slice of work may hold the event loop. */
export const SLICE_MS = 50;

/** A clock for slices: `due()` is true once SLICE_MS has passed since the last yield. */
export class Slicer {
  private last = performance.now();
  constructor(private readonly signal?: AbortSignal) {}

  due(): boolean {
    return performance.now() - this.last >= SLICE_MS;
  }

  /** Let the event loop in (signals, I/O), then stop if the run was interrupted. */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
    if (this.signal?.aborted) throw new InterruptedError();
  }

  /** Yield when a slice is used up; cheap to call in every iteration. */
  async maybeYield(): Promise<void> {
    if (this.due()) await this.yield();
  }
}

/** `Array.from({ length: count }, make)`, in slices. */
export async function buildArray<T>(count: number, make: (i: number) => T, signal?: AbortSignal): Promise<T[]> {
  const slicer = new Slicer(signal);
  const out: T[] = new Array<T>(count);
  for (let i = 0; i < count; i++) {
    out[i] = make(i);
    if ((i & 1023) === 0) await slicer.maybeYield();
  }
  return out;
}

/**
 * A stable sort (as Array.prototype.sort) in slices: runs of RUN items sorted natively, then merged pairwise,
 * yielding between slices. Returns a new array.
 */
export async function sortCooperatively<T>(
  items: readonly T[],
  compare: (a: T, b: T) => number,
  signal?: AbortSignal,
): Promise<T[]> {
  const RUN = 8_192;
  const slicer = new Slicer(signal);
  let src: T[] = [...items];
  for (let start = 0; start < src.length; start += RUN) {
    const run = src.slice(start, start + RUN).sort(compare);
    for (let i = 0; i < run.length; i++) src[start + i] = run[i]!;
    await slicer.maybeYield();
  }
  let dst: T[] = new Array<T>(src.length);
  for (let width = RUN; width < src.length; width *= 2) {
    for (let lo = 0; lo < src.length; lo += 2 * width) {
      const mid = Math.min(lo + width, src.length);
      const hi = Math.min(lo + 2 * width, src.length);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        // Stable: on a tie the left run's item goes first.
        dst[k] = i < mid && (j >= hi || compare(src[i]!, src[j]!) <= 0) ? src[i++]! : src[j++]!;
        if ((k & 1023) === 0) await slicer.maybeYield();
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}
