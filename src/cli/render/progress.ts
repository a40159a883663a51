import type { Ora } from "ora";
import type { GlobalOptions } from "../options/common.js";
import { progressEnabled } from "./renderer.js";

/** A spinner line on stderr, for work that takes more than a moment; a no-op off a terminal, in CI and with --json. */
export interface Progress {
  /** Show (or change) what is being done. */
  update(text: string): void;
  stop(): void;
}

const none: Progress = { update() {}, stop() {} };

/** A spinner whose seconds count from `startedAt` (`performance.now()` when the work began; default: now). */
export async function createProgress(
  opts: Pick<GlobalOptions, "json">,
  stream: NodeJS.WriteStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
  startedAt: number = performance.now(),
): Promise<Progress> {
  if (!progressEnabled(opts, stream, env)) return none;
  const { default: ora } = await import("ora");
  const spinner = ora({ stream, discardStdin: false });
  const started = startedAt;
  let text = "";
  const render = () => {
    spinner.text = `${text}  ${((performance.now() - started) / 1000).toFixed(0)} s`;
  };
  const tick = setInterval(render, 1000);
  tick.unref();
  return {
    update(next) {
      text = next;
      render();
      if (!spinner.isSpinning) spinner.start();
    },
    stop() {
      clearInterval(tick);
      if (spinner.isSpinning) spinner.stop();
    },
  };
}

/**
 * A spinner that shows only if the work is still going after `delayMs` (a connection, a server starting): nothing
 * for the usual quick case, and never a silent terminal for longer than that. Its seconds count from this call, the
 * start of the work, not from when the spinner appears. `stop` when the work is done.
 */
export function delayedProgress(
  opts: Pick<GlobalOptions, "json">,
  text: string,
  delayMs = 1000,
  stream: NodeJS.WriteStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): { stop(): void } {
  if (!progressEnabled(opts, stream, env)) return { stop() {} };
  const startedAt = performance.now();
  let progress: Progress | undefined;
  let stopped = false;
  const timer = setTimeout(() => {
    void createProgress(opts, stream, env, startedAt).then((p) => {
      if (stopped) return;
      progress = p;
      p.update(text);
    });
  }, delayMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      progress?.stop();
    },
  };
}

/** The spinner line a human renderer drives while a step runs. */
export interface Spinner {
  start(text: string): void;
  update(text: string): void;
  stop(): void;
}

/**
 * A spinner that appears once a step has run for `delayMs`, and imports ora only then: a quick run (most are) loads
 * no spinner code at all and never flashes a spinner line. The latest text is shown when it appears.
 */
export function delayedSpinner(stream: NodeJS.WriteStream, delayMs = 200): Spinner {
  let ora: Ora | undefined;
  let text = "";
  let active = false;
  let timer: NodeJS.Timeout | undefined;
  let loading: Promise<void> | undefined;
  const show = (): void => {
    timer = undefined;
    if (!active) return;
    if (ora) {
      if (!ora.isSpinning) ora.start(text);
      return;
    }
    loading ??= import("ora").then(({ default: create }) => {
      ora = create({ stream, discardStdin: false });
      show();
    });
  };
  return {
    start(next) {
      text = next;
      active = true;
      if (ora?.isSpinning) ora.text = next;
      else timer ??= setTimeout(show, delayMs).unref();
    },
    update(next) {
      text = next;
      if (ora?.isSpinning) ora.text = next;
    },
    stop() {
      active = false;
      clearTimeout(timer);
      timer = undefined;
      if (ora?.isSpinning) ora.stop();
    },
  };
}
