import {
  newSessionId,
  readSession,
  saveSession,
  summarizeLatencies,
  type SessionData,
} from "../../src/patterns/session/index.js";
import { InterruptedError } from "../../src/errors.js";
import { defineScenario } from "../../src/runner/types.js";
import { CHAPTER, defaultParams, formatDuration, round, sessionKey, userName, type SessionParams } from "./params.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";
import { commandsWhere, lastSeq } from "../../src/runner/evidence.js";

/** The chapter's claim, and the line this run's median is held against. */
export const CHAPTER_READ_CLAIM = "sub-ms session reads (vs 5–50 ms DB)";
export const SUB_MS = 1;

export interface ReadLatencyState {
  sessions: { key: string; json: string }[];
}

const ms = (n: number): string => `${round(n, 3)} ms`;

/** Untimed reads before the timed ones: a tenth as many, at most 200 (the JIT and the socket buffers warm up). */
export function warmupReads(reads: number): number {
  return Math.min(200, Math.floor(reads / 10));
}

export default defineScenario<SessionParams, ReadLatencyState>({
  id: "session/read-latency",
  title: (p) => `Session read latency: ${p.reads.toLocaleString("en-US")} sequential GETs`,
  explain:
    'The chapter\'s case for Redis as the session store is "sub-ms session reads (vs 5–50 ms DB)". Every request ' +
    "pays one session read before it can do anything, so what counts is one round trip at a time: this run times " +
    "sequential GETs of live sessions as the app sees them (send to parsed reply) and reports p50 and p99.",
  chapter: CHAPTER,
  defaults: defaultParams,
  // One session (a JSON string or a hash of a few hundred bytes) per user.
  footprint: (p) => p.sessions * (B.key + 2048),
  init: () => ({ sessions: [] }),
  needs: ["GET", "SET … EX"],
  steps: (p) => [
    {
      title: `${p.sessions} user${p.sessions === 1 ? "" : "s"} log in (SET … EX ${p.ttlSeconds})`,
      run: async (ctx, state) => {
        for (let s = 0; s < p.sessions; s++) {
          const key = sessionKey(ctx, newSessionId());
          const data: SessionData = {
            user_id: 101 + s,
            name: userName(s),
            roles: ["user"],
            cart: [],
            login_at: new Date(ctx.clock.now()).toISOString(),
          };
          await saveSession(ctx.redis, key, data, p.ttlSeconds);
          state.sessions.push({ key, json: JSON.stringify(data) });
        }
        ctx.note(
          `${p.sessions} session(s) of ${Buffer.byteLength(state.sessions[0]!.json)} bytes, ` +
            `TTL ${formatDuration(p.ttlSeconds * 1000)}`,
        );
      },
    },
    {
      title:
        `${p.reads.toLocaleString("en-US")} session reads, one round trip each, timed ` +
        `(after ${warmupReads(p.reads)} untimed)`,
      say:
        "Each read is awaited before the next is sent (a request cannot start without its session), " +
        "round-robin over the sessions. The time includes the client library and this tool's recording, so it " +
        "is if anything an overestimate.",
      run: async (ctx, state) => {
        // The first reads pay for the JIT and the connection's buffers warming up: sent and shown, not timed.
        const warmup = warmupReads(p.reads);
        for (let i = 0; i < warmup; i++) await readSession(ctx.redis, state.sessions[i % state.sessions.length]!.key);
        if (warmup > 0) ctx.note(`the first ${warmup} reads warm up the client and are not timed`);
        const samples: number[] = [];
        const from = lastSeq(ctx.commands());
        let found = 0;
        let wrong = 0;
        for (let i = 0; i < p.reads; i++) {
          if (i % 256 === 0 && ctx.signal.aborted) throw new InterruptedError();
          const session = state.sessions[i % state.sessions.length]!;
          const started = performance.now();
          const data = await readSession(ctx.redis, session.key);
          samples.push(performance.now() - started);
          if (data === null) continue;
          found += 1;
          if (JSON.stringify(data) !== session.json) wrong += 1;
        }
        const s = summarizeLatencies(samples);
        ctx.plot({
          kind: "histogram",
          title: `Read latency, ${s.count.toLocaleString("en-US")} GETs (the chapter: sub-millisecond)`,
          values: samples.map((v) => round(v, 4)),
          unit: "ms",
          reference: { value: 1, label: "chapter: < 1 ms" },
        });
        ctx.table({
          columns: ["reads", "min", "p50", "p90", "p99", "max", "mean"],
          rows: [[s.count, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ms(s.mean)]],
        });
        ctx.check("every read returned its live session, as written", found === p.reads && wrong === 0, {
          expected: `${p.reads} sessions found, 0 different`,
          actual: `${found} found, ${wrong} different`,
          evidence: () => {
            const written = new Map(state.sessions.map((x) => [x.key, x.json]));
            const wrongReads = commandsWhere(
              ctx.commands(),
              (c) => written.has(c.argv[1] ?? "") && c.reply !== written.get(c.argv[1] ?? ""),
              { after: from },
            );
            return { commands: wrongReads, values: { reads: p.reads, found, different: wrong } };
          },
        });
        ctx.metric("reads", s.count);
        ctx.metric("sessions", p.sessions);
        ctx.metric("readHits", found);
        ctx.metric("readP50Ms", round(s.p50, 4));
        ctx.metric("readP90Ms", round(s.p90, 4));
        ctx.metric("readP99Ms", round(s.p99, 4));
        ctx.metric("readMaxMs", round(s.max, 4));
        ctx.metric("readMeanMs", round(s.mean, 4));
        ctx.metric("commandsTotal", ctx.commands().length);
        ctx.figure({
          what: "session read latency (one GET, sequential)",
          chapter: CHAPTER_READ_CLAIM,
          measured:
            `p50 ${ms(s.p50)}, p99 ${ms(s.p99)} ` + `over ${s.count.toLocaleString("en-US")} reads (${ctx.target.url})`,
          agrees: s.p50 < SUB_MS,
          note:
            s.p50 < SUB_MS
              ? `the median read is under ${SUB_MS} ms here${s.p99 >= SUB_MS ? "; the p99 is not" : ""}; the ` +
                `database side of the comparison is not measured`
              : "slower than the chapter's figure on this machine or network; the database side of the " +
                "comparison is not measured",
        });
      },
    },
  ],
});
