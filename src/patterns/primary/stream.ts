/** A paced stream of acknowledged writes, for counting what a crash loses. No printing, no clock of its own. */

export interface StreamStats {
  /** Writes the server answered (acknowledged). */
  acked: number;
  /** When each acknowledgement arrived (performance.now()). */
  ackTimes: number[];
  /** Round trip of each acknowledged write, ms. */
  latencies: number[];
  /** Sent but never answered (the server died under it): 0 or 1, writes on one connection are sequential. */
  unanswered: number;
  /** What ended the stream when it was not asked to stop (the kill). */
  ended?: string;
}

/**
 * Send `write(0)`, `write(1)`, … one at a time (each waits for its reply), at most one every `intervalMs` (a
 * paced app, not a benchmark), until `stop()` says so or a write fails. A failing write is counted as unanswered.
 */
export function newStreamStats(): StreamStats {
  return { acked: 0, ackTimes: [], latencies: [], unanswered: 0 };
}

/** `stats` is filled in as the writes are answered, so a sampler can read the live count. */
export async function streamWrites(
  write: (i: number) => Promise<unknown>,
  options: { intervalMs: number; stop: () => boolean },
  stats: StreamStats = newStreamStats(),
): Promise<StreamStats> {
  const start = performance.now();
  for (let i = 0; !options.stop(); i++) {
    const sent = performance.now();
    try {
      await write(i);
    } catch (err) {
      stats.unanswered = 1;
      stats.ended = err instanceof Error ? err.message : String(err);
      break;
    }
    const at = performance.now();
    stats.acked += 1;
    stats.ackTimes.push(at);
    stats.latencies.push(at - sent);
    const wait = start + (i + 1) * options.intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return stats;
}
