/**
 * The traffic phases of `ratelimit --script`: boundary, burst, steady, many clients, the app dying mid-request (each
 * sequential, in fresh keys), and app instances on separate connections sending one burst at the same instant.
 */
import { InterruptedError } from "../../src/errors.js";
import { tag } from "../../src/redis/keys.js";
import { alignedStart, generateTraffic } from "../../src/patterns/ratelimit/index.js";
import {
  checkName,
  findViolations,
  type Observation,
  type SeqRequest,
} from "../../src/patterns/ratelimit/user-check.js";
import type { SequenceRunner } from "../../src/patterns/ratelimit/user-fuzz.js";
import { inspectNamespace, observe } from "../../src/patterns/ratelimit/user-run.js";
import type { ScenarioContext } from "../../src/runner/types.js";
import {
  dedupe,
  register,
  remember,
  rootOf,
  type UserScriptParams,
  type UserScriptState,
} from "./user-script-params.js";

interface Phase {
  title: string;
  name: string;
  requests: (start: number) => SeqRequest[];
}

export function phases(p: UserScriptParams): Phase[] {
  const w = p.config.windowMs;
  const n = p.requestsPerClient;
  const shaped = (shape: "boundary" | "burst" | "steady", clients: string[]) => (start: number) =>
    generateTraffic({ shape, requestsPerClient: n, clients, windowMs: w, start }).map((r) => ({
      client: r.client,
      at: r.at,
      cost: p.cost,
    }));
  const one = [p.clients[0] ?? "alice"];
  const list: Phase[] = [
    {
      name: "boundary",
      title: `${n} requests, half just before a window edge, half just after`,
      requests: shaped("boundary", one),
    },
    { name: "burst", title: `${n} requests in one millisecond`, requests: shaped("burst", one) },
    { name: "steady", title: `${n} requests evenly over two windows`, requests: shaped("steady", one) },
    {
      name: "many clients",
      title: `${p.clients.length} clients, ${n} requests each, interleaved (each limited on its own)`,
      requests: shaped("steady", p.clients),
    },
  ];
  if (p.limiter.multiCommand) {
    list.push({
      name: "crash",
      title: "The app dies between two commands of a request, then carries on",
      requests: (start) =>
        [1, 2, 3].flatMap((k) => [
          { client: one[0]!, at: start + k * 10, cost: p.cost, crashAfter: k },
          { client: one[0]!, at: start + k * 10 + 1, cost: p.cost },
        ]),
    });
  }
  return list;
}

export function runnerFor(
  ctx: ScenarioContext<UserScriptParams>,
  state: UserScriptState,
  paced: boolean,
): SequenceRunner {
  const p = ctx.params;
  const runTag = ctx.keys.prefix.split(":").pop() ?? "run";
  return async (requests, inspect) => {
    const r = ++state.runs;
    const ns = `r${r}`;
    const keyOf = (client: string) => `${rootOf(ctx)}:${ns}:${tag(client)}`;
    const observed: Observation[] = [];
    for (const [i, req] of requests.entries()) {
      if (ctx.signal.aborted) throw new InterruptedError();
      let now = req.at;
      if (paced) {
        await ctx.clock.waitUntil(req.at, ctx.signal);
        now = Date.now();
      }
      const key = ctx.keys.key("ratelimit", "script", ns, tag(req.client));
      observed.push(await observe(p.limiter, ctx.redis, p.config, req, key, now, `${runTag}-${r}-${i + 1}`));
    }
    state.requests += requests.length;
    const keys = inspect ? await inspectNamespace(ctx.redis, `${rootOf(ctx)}:${ns}`) : undefined;
    for (const k of keys ?? []) register(ctx, k.key);
    return { observed, violations: findViolations(p.config, requests, observed, keys, keyOf) };
  };
}

/**
 * Where a phase's traffic starts: the chapter's minute in scenario time; in real time the next window edge, or for
 * boundary traffic (which starts a window before the edge it straddles) one window earlier.
 */
function phaseStart(ctx: ScenarioContext<UserScriptParams>, boundary: boolean): number {
  const w = ctx.params.config.windowMs;
  if (ctx.clock.mode === "scenario") return alignedStart(w);
  const next = Math.ceil((Date.now() + Math.min(500, w / 20) + 50) / w) * w;
  return boundary ? next - w : next;
}

export async function runPhase(
  ctx: ScenarioContext<UserScriptParams>,
  state: UserScriptState,
  phase: Phase,
): Promise<void> {
  const paced = ctx.clock.mode === "real";
  const planned = phase.requests(phaseStart(ctx, phase.name === "boundary"));
  const { observed, violations } = await runnerFor(ctx, state, paced)(planned, true);
  // What was actually sent (in real time, the wall clock), so a replay sends the very same times.
  const requests = planned.map((r, i) => ({ ...r, at: observed[i]!.at }));
  remember(state, phase.name, violations, requests, true);
  const allowed = observed.filter((o) => o.allowed === true).length;
  const died = observed.filter((o) => o.crashed).length;
  ctx.note(
    `${allowed} allowed, ${observed.length - allowed - died} rejected${died ? `, ${died} died half-way` : ""}` +
      (violations.length === 0
        ? "; no violation"
        : `; ${violations.length} violation${violations.length > 1 ? "s" : ""}`),
  );
  for (const v of dedupe(violations)) ctx.note(`✗ ${checkName(v.kind, ctx.params.config)}: ${v.message}`);
}

export async function concurrentPhase(ctx: ScenarioContext<UserScriptParams>, state: UserScriptState): Promise<void> {
  const p = ctx.params;
  const c = p.config;
  const client = p.clients[0] ?? "alice";
  const sent = Math.max(p.requestsPerClient, 2 * (c.contract === "bucket" ? c.capacity : c.limit));
  const room = c.contract === "bucket" ? Math.floor(c.capacity / p.cost) : Math.floor(c.limit / p.cost);
  const expected = Math.min(sent, room);
  const apps = [];
  for (let i = 0; i < p.instances; i++) apps.push(await ctx.connect(`app-${i + 1}`));
  // One instant for the whole burst; in real time, one well inside a window.
  let now = alignedStart(c.windowMs) + Math.floor(c.windowMs / 2);
  if (ctx.clock.mode === "real") {
    const w = c.windowMs;
    const into = Date.now() % w;
    if (into > w * 0.8) await ctx.clock.waitUntil(Date.now() - into + w + 1, ctx.signal);
    now = Date.now();
  }
  const r = ++state.runs;
  const ns = `r${r}`;
  const key = ctx.keys.key("ratelimit", "script", ns, tag(client));
  const runTag = ctx.keys.prefix.split(":").pop() ?? "run";
  const requests: SeqRequest[] = Array.from({ length: sent }, () => ({ client, at: now, cost: p.cost }));
  const observed: Observation[] = new Array(sent);
  await Promise.all(
    apps.map(async (redis, a) => {
      for (let i = a; i < sent; i += apps.length) {
        if (ctx.signal.aborted) throw new InterruptedError();
        observed[i] = await observe(p.limiter, redis, c, requests[i]!, key, now, `${runTag}-${r}-${i + 1}`);
      }
    }),
  );
  state.requests += sent;
  const keys = await inspectNamespace(ctx.redis, `${rootOf(ctx)}:${ns}`);
  for (const k of keys) register(ctx, k.key);
  const keyOf = (cl: string) => `${rootOf(ctx)}:${ns}:${tag(cl)}`;
  // Replies from different connections arrive in no particular order, so liveness is judged by the count below.
  const violations = findViolations(c, requests, observed, keys, keyOf).filter(
    (v) => v.kind !== "liveness" && v.kind !== "model",
  );
  const allowed = observed.filter((o) => o.allowed === true).length;
  if (allowed < expected) {
    violations.push({
      kind: c.model ? "model" : "liveness",
      client,
      message: `only ${allowed} of ${sent} concurrent requests allowed, with room for ${expected}`,
    });
  }
  remember(state, "concurrent", violations, requests, false);
  const perApp = apps.map((_, a) => observed.filter((o, i) => i % apps.length === a && o.allowed === true).length);
  state.concurrent = { expected, allowed: perApp, sent };
  ctx.table({
    columns: ["app instance", "requests", "allowed"],
    rows: apps.map((_, a) => [`app-${a + 1}`, Math.ceil((sent - a) / apps.length), perApp[a]!]),
  });
  ctx.note(`${allowed} of ${sent} allowed in total; the limit leaves room for exactly ${expected}`);
  for (const v of dedupe(violations)) ctx.note(`✗ ${checkName(v.kind, c)}: ${v.message}`);
}
