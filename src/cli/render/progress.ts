import type { GlobalOptions } from "../options/common.js";
import { progressEnabled } from "./index.js";

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
