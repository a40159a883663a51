import { InterruptedError } from "../errors.js";

/** The signals that stop a run: Ctrl-C, a kill, and a closed terminal window (SIGHUP must not leave keys behind). */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export interface InterruptWatch {
  /**
   * Rejects with InterruptedError on the second signal: the caller stops waiting (races its work against it) and
   * returns, so the entry point exits at once with 130. Never resolves.
   */
  forced: Promise<never>;
  /** Stop listening (after the cleanup). */
  dispose(): void;
}

/**
 * Listen for interrupts while a run is open: the first calls `onFirst` (abort the run; its keys are cleaned up), the
 * second rejects `forced`. Nothing here exits the process: only bin/redis-patterns.js does, with main's code.
 */
export function watchInterrupts(onFirst: () => void): InterruptWatch {
  let interrupts = 0;
  let reject: (err: unknown) => void = () => undefined;
  const forced = new Promise<never>((_, r) => {
    reject = r;
  });
  forced.catch(() => undefined); // nobody may be racing it when it rejects
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) reject(new InterruptedError());
    else onFirst();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    forced,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
