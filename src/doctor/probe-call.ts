/**
 * How doctor's probes ask: one command or a pipeline of them, an error reply (NOPERM, unknown command) returned as
 * an outcome to record, anything else (a broken connection, a timeout) thrown.
 */
import { isReplyError } from "../redis/classify-error.js";
import type { Redis } from "ioredis";

/** The client surface the probes use: plain commands and one pipeline for the ACL checks. */
export type DoctorClient = Pick<Redis, "call" | "pipeline">;

export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

/** An error reply from the server (ioredis's ReplyError), as opposed to a broken connection or a timeout. */
export async function attempt(redis: DoctorClient, argv: readonly string[]): Promise<Outcome> {
  try {
    return { ok: true, value: await redis.call(argv[0]!, ...argv.slice(1)) };
  } catch (err) {
    if (isReplyError(err)) return { ok: false, error: err.message };
    throw err;
  }
}

export async function attemptAll(redis: DoctorClient, commands: readonly (readonly string[])[]): Promise<Outcome[]> {
  if (commands.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const argv of commands) pipeline.call(argv[0]!, ...argv.slice(1));
  const replies = (await pipeline.exec()) ?? [];
  return commands.map((_, i) => {
    const [err, value] = replies[i] ?? [new Error("no reply"), null];
    if (err) {
      if (isReplyError(err)) return { ok: false, error: err.message };
      throw err;
    }
    return { ok: true, value };
  });
}
