import type { Redis } from "ioredis";
import {
  addToCart,
  createHashSession,
  endSession,
  hashFromReply,
  newSessionId,
  sessionField,
  type HashSession,
} from "../../src/patterns/session/index.js";
import { pipelineByKey } from "../../src/redis/batch.js";
import { commandsNamed, commandsOn, lastSeq } from "../../src/runner/evidence.js";
import type { Evidence } from "../../src/check-failure.js";
import { defineScenario, type ScenarioContext } from "../../src/runner/types.js";
import { CHAPTER, defaultParams, formatDuration, sessionKey, shortId, userName, type SessionParams } from "./params.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";

interface UserSession {
  user: string;
  id: string;
  key: string;
  fields: Record<string, string>;
  /** The model: how many items this user has added so far, whichever server took the request. */
  cart: number;
  servedBy: Set<string>;
}

export interface HashSessionState {
  servers: { label: string; redis: Redis }[];
  sessions: UserSession[];
  requests: number;
}

type Ctx = ScenarioContext<SessionParams>;

const serverLabel = (k: number) => `server-${k + 1}`;

export default defineScenario<SessionParams, HashSessionState>({
  id: "session/hash",
  title: (p) => `Rich sessions as hashes, shared by ${p.servers} stateless app server${p.servers === 1 ? "" : "s"}`,
  explain:
    "Each session is a hash (HSET user_id … role … cart_size …) with a TTL; requests read one field (HGET) and " +
    "change one field (HINCRBY) without rewriting the rest. Several app servers, each with its own connection, " +
    "serve the same sessions round-robin: the session lives in Redis, so no server needs sticky sessions.",
  chapter: CHAPTER,
  defaults: defaultParams,
  // One session (a JSON string or a hash of a few hundred bytes) per user.
  footprint: (p) => p.sessions * (B.key + 2048),
  init: () => ({ servers: [], sessions: [], requests: 0 }),
  needs: ["HSET", "HGET", "HGETALL", "HINCRBY", "EXPIRE", "MULTI", "EXEC", "DEL", "PTTL"],
  steps: (p) => [
    {
      title:
        `${p.servers} app server${p.servers === 1 ? "" : "s"} connect; ${p.sessions} ` +
        `user${p.sessions === 1 ? "" : "s"} log in, one hash per session`,
      say:
        `The chapter's HSET then EXPIRE, sent in one MULTI/EXEC: a session hash never exists without ` +
        `its ${formatDuration(p.ttlSeconds * 1000)} TTL, ` +
        "even if the app dies between the two. Each login lands on whichever server is next.",
      run: async (ctx, state) => {
        for (let k = 0; k < p.servers; k++)
          state.servers.push({ label: serverLabel(k), redis: await ctx.connect(serverLabel(k)) });
        const rows: (string | number)[][] = [];
        for (let s = 0; s < p.sessions; s++) {
          const server = state.servers[s % p.servers]!;
          const user = userName(s);
          const id = newSessionId();
          const key = sessionKey(ctx, id);
          const fields = { user_id: String(101 + s), name: user, role: s === 0 ? "admin" : "user", cart_size: "0" };
          await createHashSession(server.redis, key, fields, p.ttlSeconds);
          state.sessions.push({ user, id, key, fields, cart: 0, servedBy: new Set([server.label]) });
          rows.push([
            user,
            shortId(id),
            server.label,
            Object.entries(fields)
              .map(([f, v]) => `${f}=${v}`)
              .join(" "),
          ]);
        }
        ctx.table({ columns: ["user", "session id", "login served by", "fields"], rows });
      },
    },
    {
      title: "Requests through a round-robin load balancer: any server serves any session",
      say:
        "Each request reads the role (HGET, to authorize) and adds an item to the cart: HINCRBY cart_size and " +
        "EXPIRE (sliding expiry) in one MULTI/EXEC. The balancer rotates, so over the rounds every session " +
        "meets every server; each server must see the cart exactly as the previous server left it.",
      run: (ctx, state) => requests(ctx, state),
    },
    {
      title: "Every server reads every session: one shared state",
      say:
        "Each server reads all the sessions (HGETALL and PTTL, one pipeline per server). They must agree with " +
        "each other and with the count of requests made.",
      run: (ctx, state) => compareViews(ctx, state),
    },
    {
      title: "Logout on one server is logout on all of them",
      say:
        "The first user logs out through the last server (DEL); every server's next read of that session finds " +
        "nothing.",
      run: async (ctx, state) => {
        const victim = state.sessions[0]!;
        const logoutServer = state.servers[state.servers.length - 1]!;
        const deleted = await endSession(logoutServer.redis, victim.key);
        const views: string[] = [];
        for (const server of state.servers)
          views.push(`${server.label}: ${(await sessionField(server.redis, victim.key, "role")) ?? "(nil) → login"}`);
        ctx.note(`${victim.user} logged out on ${logoutServer.label}; HGET role on ${views.join(", ")}`);
        const stillThere = views.filter((v) => !v.endsWith("(nil) → login")).length;
        ctx.check("a session logged out on one server reads nil on every server", deleted && stillThere === 0, {
          expected: `DEL → 1, then (nil) on ${state.servers.length} server(s)`,
          actual: `DEL → ${deleted ? 1 : 0}, session still seen by ${stillThere}`,
          evidence: () => ({
            commands: commandsOn(ctx.commands(), victim.key).slice(-(1 + state.servers.length)),
            values: { "HGET role per server": views.join("; ") },
          }),
        });
        ctx.metric("servers", p.servers);
        ctx.metric("sessions", p.sessions);
        ctx.metric("requests", state.requests);
        ctx.metric(
          "cartIncrements",
          state.sessions.reduce((n, s) => n + s.cart, 0),
        );
        ctx.metric("minServersPerSession", Math.min(...state.sessions.map((s) => s.servedBy.size)));
        ctx.metric("ttlSeconds", p.ttlSeconds);
        ctx.metric("commandsTotal", ctx.commands().length);
      },
    },
  ],
});

async function requests(ctx: Ctx, state: HashSessionState): Promise<void> {
  const p = ctx.params;
  const rows: (string | number)[][] = [];
  const from = lastSeq(ctx.commands());
  let mismatches = 0;
  let firstBad: { key: string; values: Record<string, string | number> } | undefined;
  // Round r sends one request per session; session s goes to server (r + s) mod N, so in N rounds each session is
  // served by every server once (a plain global round-robin could pin a session to one server when N divides M).
  for (let r = 0; r < p.servers; r++) {
    for (const [s, session] of state.sessions.entries()) {
      const server = state.servers[(r + s) % p.servers]!;
      state.requests += 1;
      const role = await sessionField(server.redis, session.key, "role");
      if (role === null) {
        mismatches += 1;
        firstBad ??= { key: session.key, values: { request: state.requests, server: server.label, role: "(nil)" } };
        rows.push([state.requests, server.label, session.user, "(nil) → login", "", session.cart]);
        continue;
      }
      const size = await addToCart(server.redis, session.key, { ttlSeconds: p.ttlSeconds });
      session.cart += 1;
      session.servedBy.add(server.label);
      const ok = role === session.fields.role && size === session.cart;
      if (!ok) mismatches += 1;
      if (!ok) {
        const seen = { request: state.requests, server: server.label, role, "cart_size after HINCRBY": size };
        firstBad ??= { key: session.key, values: { ...seen, "cart expected": session.cart } };
      }
      rows.push([state.requests, server.label, session.user, role, size, session.cart]);
    }
  }
  ctx.table({
    columns: ["#", "server", "user", "HGET role", "cart_size after HINCRBY", "expected (all servers' requests)"],
    rows,
  });
  ctx.check(
    "each request sees the role login wrote and the cart every earlier request built, whatever server served it",
    mismatches === 0,
    {
      expected: "role as at login, cart_size = requests so far for that session",
      actual: `${state.requests - mismatches}/${state.requests} as expected`,
      evidence: () => ({
        commands: firstBad ? commandsOn(ctx.commands(), firstBad.key, { after: from }) : [],
        values: firstBad?.values ?? {},
      }),
    },
  );
}

async function compareViews(ctx: Ctx, state: HashSessionState): Promise<void> {
  const p = ctx.params;
  const ttlMs = p.ttlSeconds * 1000;
  // views[server][session] = the hash as that server read it; ttls likewise.
  const views: (HashSession | null)[][] = [];
  const ttls: number[][] = [];
  const from = lastSeq(ctx.commands());
  /** The HGETALLs and PTTLs of session `i` on every server, with what each server read. */
  const sessionEvidence = (i: number | undefined): Evidence => {
    const session = i === undefined ? undefined : state.sessions[i];
    if (i === undefined || !session) return {};
    const values = Object.fromEntries(state.servers.map((server, k) => [server.label, JSON.stringify(views[k]![i])]));
    return { commands: commandsOn(ctx.commands(), session.key, { after: from }), values };
  };
  for (const server of state.servers) {
    // One pipeline; on a cluster one per node-bound group, since each user's session lives on its own slot.
    const replies = await pipelineByKey(
      server.redis,
      state.sessions.flatMap(
        (session) =>
          [
            ["HGETALL", session.key],
            ["PTTL", session.key],
          ] as const,
      ),
    );
    const mine: (HashSession | null)[] = [];
    const mineTtl: number[] = [];
    state.sessions.forEach((_, i) => {
      const [errH, hash] = replies[2 * i] ?? [new Error("no reply"), null];
      const [errT, ttl] = replies[2 * i + 1] ?? [new Error("no reply"), null];
      if (errH) throw errH;
      if (errT) throw errT;
      mine.push(hashFromReply(hash));
      mineTtl.push(Number(ttl));
    });
    views.push(mine);
    ttls.push(mineTtl);
  }
  let disagreements = 0;
  let wrong = 0;
  let firstDiffering: number | undefined;
  let firstWrong: number | undefined;
  const rows = state.sessions.map((session, i) => {
    const seen = views.map((v) => JSON.stringify(v[i]));
    if (new Set(seen).size !== 1) {
      disagreements += 1;
      firstDiffering ??= i;
    }
    const expected = { ...session.fields, cart_size: String(session.cart) };
    const first = views[0]![i];
    const same =
      first !== null &&
      first !== undefined &&
      Object.keys(expected).length === Object.keys(first).length &&
      Object.entries(expected).every(([f, v]) => first[f] === v);
    if (!same) {
      wrong += 1;
      firstWrong ??= i;
    }
    return [
      session.user,
      ...views.map((v) => (v[i] ? `cart_size=${v[i]!.cart_size}` : "(nil)")),
      session.cart,
      `${ttls[0]![i]} ms`,
      [...session.servedBy].sort().join(", "),
    ];
  });
  ctx.table({
    columns: ["user", ...state.servers.map((s) => `${s.label} reads`), "expected cart", "PTTL", "served by"],
    rows,
  });
  ctx.check("every server sees the same session", disagreements === 0, {
    expected: `identical HGETALL on ${state.servers.length} server(s)`,
    actual: `${disagreements} session(s) differ`,
    evidence: () => sessionEvidence(firstDiffering),
  });
  ctx.check("the shared session holds every server's changes", wrong === 0, {
    expected: "the login fields, with cart_size = requests made",
    actual: `${state.sessions.length - wrong}/${state.sessions.length} as expected`,
    evidence: () => sessionEvidence(firstWrong),
  });
  const allTtls = ttls.flat();
  const bad = allTtls.filter((t) => t <= 0 || t > ttlMs);
  ctx.check("every session key has a TTL", bad.length === 0, {
    expected: `0 < PTTL ≤ ${ttlMs} ms`,
    actual: bad.length === 0 ? `min ${Math.min(...allTtls)} ms` : `${bad.length} without: ${bad.join(", ")}`,
    evidence: () => ({
      commands: commandsNamed(ctx.commands(), ["PTTL"], { after: from }).filter(
        (c) => c.reply !== undefined && (typeof c.reply !== "number" || c.reply <= 0 || c.reply > ttlMs),
      ),
      values: { "TTL (ms)": ttlMs, "PTTLs out of range": bad.join(", ") || "none" },
    }),
  });
}
