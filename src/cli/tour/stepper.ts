import { expand } from "@inquirer/prompts";
import type { Redis } from "ioredis";
import { argToString } from "../../redis/recorder.js";
import { displayArgv, formatReply } from "../format.js";
import type { TourContext } from "./context.js";

/**
 * Step-through mode: every command of the running step is shown before it is sent and waits for Enter ("a" lets the
 * rest of the step run), with each reply under the command it answers. Pipelines and MULTI blocks are held whole.
 */
export class Stepper {
  /** Step-through mode for the running step: each command waits for the user. */
  private stepping = false;
  /** "a": the rest of the step runs without stopping. */
  private sendRest = false;
  private gateQueue: Promise<void> = Promise.resolve();
  private stopReplies: (() => void) | undefined;
  private readonly pendingReplies: string[] = [];

  constructor(private readonly ctx: TourContext) {
    const { env } = ctx.run;
    this.gateBatches(env.redis, "main");
    const newClient = env.newClient;
    env.newClient = async (label, options) => {
      const client = await newClient(label, options);
      this.gateBatches(client, label);
      return client;
    };
  }

  start(): void {
    const { recorder } = this.ctx.run;
    this.stepping = true;
    this.sendRest = false;
    recorder.setGate((argv, client) => this.gate([argv], client));
    // Each reply under the command it answers. Replies arrive while the next prompt may be open (concurrent workers),
    // so they are held and written before the next command is shown (a prompt owns the lines it draws).
    this.stopReplies = recorder.onCommand((cmd, event) => {
      if (event !== "replied" || this.sendRest || cmd.phase === "handshake" || cmd.batch) return;
      const c = this.ctx.c;
      const reply = formatReply(cmd.reply, cmd.error);
      const who = cmd.client === "main" ? "" : `[${cmd.client}] `;
      // The run's TTL guard is not gated (it follows a write already sent): its command is shown with its reply.
      if (cmd.phase === "ttl-guard") {
        this.pendingReplies.push(`       ${c.dim(`${who}ttl guard: ${cmd.argv.join(" ")} → ${reply}`)}`);
        return;
      }
      this.pendingReplies.push(`       ${c.dim(`${who}→`)} ${cmd.error !== undefined ? c.red(reply) : c.green(reply)}`);
    });
  }

  stop(): void {
    if (this.stepping) this.flushReplies();
    this.stepping = false;
    this.ctx.run.recorder.setGate(undefined);
    this.stopReplies?.();
    this.stopReplies = undefined;
  }

  private flushReplies(): void {
    for (const line of this.pendingReplies.splice(0)) this.ctx.io.stderr.write(line + "\n");
  }

  /** Show the command(s) about to be sent and wait for Enter; "a" lets the rest of the step run. One at a time. */
  private gate(batch: string[][], client: string, kind?: string): Promise<void> {
    const next = this.gateQueue.then(async () => {
      if (!this.stepping || this.sendRest || this.ctx.run.controller.signal.aborted) return;
      this.flushReplies();
      const { c, io } = this.ctx;
      const who = client === "main" ? "" : c.magenta(`[${client}] `);
      if (kind) io.stderr.write(`     ${c.dim(`next ▸ ${who}${kind}, one round trip:`)}\n`);
      const shown = batch.length > 12 ? [...batch.slice(0, 10), undefined, batch[batch.length - 1]!] : batch;
      for (const argv of shown) {
        io.stderr.write(
          argv
            ? `     ${kind ? "  " : c.dim("next ▸ ") + who}${c.cyan(displayArgv(argv))}\n`
            : `       ${c.dim(`… ${batch.length - 11} more`)}\n`,
        );
      }
      const answer = await this.ctx.ask(
        expand<string>,
        {
          // The keys spelled out (inquirer's own hint would read "(Sah)").
          message: "Send it? Enter or s: send it · a: send the rest of this step",
          theme: { style: { defaultAnswer: () => "" } },
          default: "s",
          choices: [
            { key: "s", name: "send it", value: "send" },
            { key: "a", name: "send the rest of this step without stopping", value: "all" },
          ],
        },
        true,
      );
      if (answer === "all") this.sendRest = true;
    });
    this.gateQueue = next.catch(() => undefined);
    return next;
  }

  /**
   * Pipelines and MULTI blocks go out in one write, so they cannot wait command by command: in step-through mode the
   * whole batch is shown before `exec` and sent on Enter.
   */
  private gateBatches(redis: Redis, client: string): void {
    for (const method of ["pipeline", "multi"] as const) {
      const target = redis as unknown as Record<string, (...args: unknown[]) => unknown>;
      const original = target[method]!.bind(redis);
      target[method] = (...args: unknown[]) => {
        const batch = original(...args) as {
          exec?: (...a: unknown[]) => Promise<unknown>;
          _queue?: { name: string; args: unknown[] }[];
        };
        if (!batch || typeof batch.exec !== "function") return batch;
        const exec = batch.exec.bind(batch);
        batch.exec = async (...a: unknown[]) => {
          if (this.stepping && !this.sendRest) {
            const queued = (batch._queue ?? []).map((cmd) => [cmd.name.toUpperCase(), ...cmd.args.map(argToString)]);
            if (method === "multi") queued.push(["EXEC"]);
            await this.gate(queued, client, method === "multi" ? "MULTI/EXEC transaction" : "pipeline");
          }
          return exec(...a);
        };
        return batch;
      };
    }
  }
}
