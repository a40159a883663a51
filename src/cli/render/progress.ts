import type { GlobalOptions } from "../options/common.js";
import { progressEnabled } from "./renderer.js";

/** A spinner line on stderr, for work that takes more than a moment; a no-op off a terminal, in CI and with --json. */
export interface Progress {
  /** Show (or change) what is being done. */
  update(text: string): void;
  stop(): void;
}

const none: Progress = { update() {}, stop() {} };

export async function createProgress(
  opts: Pick<GlobalOptions, "json">,
  stream: NodeJS.WriteStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Progress> {
  if (!progressEnabled(opts, stream, env)) return none;
  const { default: ora } = await import("ora");
  const spinner = ora({ stream, discardStdin: false });
  const started = performance.now();
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
 * for the usual quick case, and never a silent terminal for longer than that. `stop` when the work is done.
 */
export function delayedProgress(
  opts: Pick<GlobalOptions, "json">,
  text: string,
  delayMs = 1000,
  stream: NodeJS.WriteStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): { stop(): void } {
  if (!progressEnabled(opts, stream, env)) return { stop() {} };
  let progress: Progress | undefined;
  let stopped = false;
  const timer = setTimeout(() => {
    void createProgress(opts, stream, env).then((p) => {
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
