import { Chalk, type ChalkInstance } from "chalk";
import { InterruptedError } from "../../errors.js";
import type { TourCliOptions } from "../options/tour.js";
import type { HumanRenderer } from "../render/human.js";
import { colorEnabled, type Streams } from "../render/renderer.js";
import type { OpenRun } from "../session.js";
import type { PromptContext } from "./params.js";

export interface TourIo extends Streams {
  stdin: NodeJS.ReadStream;
}

/** A Ctrl-C inside a prompt (inquirer's ExitPromptError) or a prompt cancelled by our abort signal. */
export function isPromptCancel(err: unknown): boolean {
  return err instanceof Error && (err.name === "ExitPromptError" || err.name === "AbortPromptError");
}

/**
 * What every part of the tour shares: the streams (prompts on stderr, steps and traces on stdout), the colours, the
 * renderer, and the open run (connection, recorder, keys, abort controller).
 */
export class TourContext {
  readonly c: ChalkInstance;
  /** Lua scripts whose source a trace has shown once already. */
  readonly shownScripts = new Set<string>();
  /** The sandbox's history (↑/↓), newest first, kept from one visit to the next. */
  readonly sandboxHistory: string[] = [];

  constructor(
    opts: TourCliOptions,
    readonly io: TourIo,
    readonly renderer: HumanRenderer,
    readonly run: OpenRun,
  ) {
    this.c = new Chalk({ level: colorEnabled(opts, io.stdout, io.env) ? 1 : 0 });
  }

  out(line = ""): void {
    this.io.stdout.write(line + "\n");
  }

  /** Stop the run after Ctrl-C in a prompt: no command waits for a gate any more, the runner sees the abort. */
  interrupt(): InterruptedError {
    this.run.recorder.setGate(undefined);
    this.run.controller.abort();
    return new InterruptedError();
  }

  /** A prompt on stderr, cancelled by Ctrl-C (in the prompt, or by the signal): then the run is interrupted. */
  async ask<V, C>(prompt: (config: C, context?: PromptContext) => Promise<V>, config: C, clear = false): Promise<V> {
    try {
      return await prompt(config, {
        input: this.io.stdin,
        output: this.io.stderr,
        signal: this.run.controller.signal,
        clearPromptOnDone: clear,
      });
    } catch (err) {
      if (isPromptCancel(err)) throw this.interrupt();
      throw err;
    }
  }
}
