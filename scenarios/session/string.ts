import { isUnknownCommand } from "../../src/redis/classify-error.js";
import {
  endSession,
  newSessionId,
  saveSession,
  sessionCookie,
  slidingReadFor,
  touchSession,
  type SessionData,
  type SlidingRead,
} from "../../src/patterns/session/index.js";
import { sleep } from "../../src/runner/clock.js";
import { commandsNamed, commandsOn, lastSeq } from "../../src/runner/evidence.js";
import { defineScenario, type ScenarioContext } from "../../src/runner/types.js";
import { CHAPTER, defaultParams, formatDuration, pttl, sessionKey, shortId, type SessionParams } from "./params.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";

/** How long the idle session of the expiry step has left, and how long the run then waits (real time). */
export const EXPIRY_DEMO_MS = 200;
export const EXPIRY_WAIT_MS = 300;

/**
 * Idle times before each request, as fractions of the TTL: every one is shorter than the TTL, so the session survives.
 */
const IDLE_FRACTIONS = [1 / 12, 1 / 2, 11 / 12];

interface LoggedIn {
  user: string;
  id: string;
  key: string;
  data: SessionData;
}

export interface StringSessionState {
  method: SlidingRead;
  alice?: LoggedIn;
  /** PTTL right after every write of a session (login, each sliding read), to prove none is left without a TTL. */
  ttlAfterWrites: { what: string; pttl: number }[];
  logins: number;
  requests: number;
  redirects: number;
}

type Ctx = ScenarioContext<SessionParams>;

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

async function login(ctx: Ctx, state: StringSessionState, user: string, userId: number): Promise<LoggedIn> {
  const id = newSessionId();
  const key = sessionKey(ctx, id);
  const data: SessionData = {
    user_id: userId,
    name: user,
    roles: user === "alice" ? ["user", "admin"] : ["user"],
    login_at: new Date(ctx.clock.now()).toISOString(),
  };
  await saveSession(ctx.redis, key, data, ctx.params.ttlSeconds);
  state.logins += 1;
  state.ttlAfterWrites.push({ what: `login ${user}`, pttl: await pttl(ctx.redis, key) });
  return { user, id, key, data };
}

/** One request's read with sliding expiry; falls back to GET + EXPIRE the first time a server says GETEX is unknown. */
async function request(ctx: Ctx, state: StringSessionState, key: string): Promise<SessionData | null> {
  state.requests += 1;
  let data: SessionData | null;
  try {
    data = await touchSession(ctx.redis, key, { ttlSeconds: ctx.params.ttlSeconds, method: state.method });
  } catch (err) {
    if (state.method !== "getex" || !isUnknownCommand(err)) throw err;
    state.method = "get+expire";
    ctx.note("this server does not know GETEX (Redis < 6.2): from now on GET + EXPIRE in one pipeline");
    data = await touchSession(ctx.redis, key, { ttlSeconds: ctx.params.ttlSeconds, method: state.method });
  }
  if (data === null) state.redirects += 1;
  return data;
}

const methodWords = (m: SlidingRead, ttl: number) =>
  m === "getex" ? `GETEX … EX ${ttl}` : `GET + EXPIRE … ${ttl} (pipelined)`;

export default defineScenario<SessionParams, StringSessionState>({
  id: "session/string",
  title: (p) =>
    `Session as one JSON string: login, sliding expiry (TTL ${formatDuration(p.ttlSeconds * 1000)}), logout, expiry`,
  explain:
    "Login stores the session under a random id with SET … EX, so it expires by itself; every request reads it and " +
    "slides the expiry forward (GETEX … EX on Redis ≥ 6.2, else GET + EXPIRE); logout is DEL; a missing session " +
    "sends the request to the login page. No cleanup job, and any app server can serve any request.",
  chapter: CHAPTER,
  defaults: defaultParams,
  // One session (a JSON string or a hash of a few hundred bytes) per user.
  footprint: (p) => p.sessions * (B.key + 2048),
  init: () => ({ method: "getex", ttlAfterWrites: [], logins: 0, requests: 0, redirects: 0 }),
  needs: ["SET … EX", "GET", "DEL", "EXISTS", "PEXPIRE", "PTTL"],
  steps: (p) => [
    {
      title: `Login: a random session id, the session as JSON, SET … EX ${p.ttlSeconds}`,
      say:
        "The id is 128 random bits from the operating system's CSPRNG (base64url): unguessable, so the cookie is the " +
        "only way in. One SET with EX stores the session and its lifetime together: it can never exist without a TTL.",
      run: async (ctx, state) => {
        const byVersion = ctx.server.has("GETEX") ? slidingReadFor(ctx.target.version) : "get+expire";
        state.method = byVersion ?? "getex";
        if (state.method === "get+expire")
          ctx.fallback(
            `GET + EXPIRE in one pipeline for GETEX (GETEX: ${ctx.server.missing("GETEX") ?? "needs Redis ≥ 6.2"})`,
          );
        state.alice = await login(ctx, state, "alice", 123);
        const ttl = state.ttlAfterWrites[state.ttlAfterWrites.length - 1]!.pttl;
        ctx.table({
          columns: ["user", "session id", "key", "cookie sent to the browser", "PTTL"],
          rows: [
            [
              "alice",
              shortId(state.alice.id),
              state.alice.key,
              sessionCookie(shortId(state.alice.id), p.ttlSeconds),
              `${ttl} ms`,
            ],
          ],
        });
        ctx.note(
          byVersion
            ? `${ctx.target.server} ${ctx.target.version}: requests will ` +
                `use ${methodWords(state.method, p.ttlSeconds)}` +
                (state.method === "getex" ? " (GETEX exists since Redis 6.2)" : " (GETEX needs Redis ≥ 6.2)")
            : `server version "${ctx.target.version}" unknown: requests try GETEX and fall back to GET + EXPIRE ` +
                `if it is refused`,
        );
      },
    },
    {
      title: "Requests: read the session and slide its expiry forward",
      say:
        `Each request reads the session and resets its TTL to the full ${formatDuration(p.ttlSeconds * 1000)}. Redis ` +
        "expires keys in real time, so the user's idle time before each request is simulated by shortening the " +
        "TTL with PEXPIRE (as if that much time had passed); PTTL before and after shows the reset.",
      run: async (ctx, state) => {
        const alice = state.alice!;
        const from = lastSeq(ctx.commands());
        const ttlMs = p.ttlSeconds * 1000;
        const rows: (string | number)[][] = [];
        const pttls: string[] = [];
        let notExtended = 0;
        let wrongSession = 0;
        for (const [i, fraction] of IDLE_FRACTIONS.entries()) {
          const idle = Math.max(1, Math.round(ttlMs * fraction));
          await ctx.redis.call("PEXPIRE", alice.key, ttlMs - idle);
          const before = await pttl(ctx.redis, alice.key);
          const started = performance.now();
          const data = await request(ctx, state, alice.key);
          const after = await pttl(ctx.redis, alice.key);
          const elapsed = performance.now() - started;
          state.ttlAfterWrites.push({ what: `request ${i + 1}`, pttl: after });
          // Sound bound: the TTL was reset to ttlMs during the read, and since then at most `elapsed` ms have passed.
          const extended = after > before && after >= ttlMs - Math.ceil(elapsed) - 1;
          if (!extended) notExtended += 1;
          pttls.push(`${before} → ${after}`);
          if (!sameJson(data, alice.data)) wrongSession += 1;
          rows.push([
            i + 1,
            `${formatDuration(idle)} (simulated)`,
            `${before} ms`,
            methodWords(state.method, p.ttlSeconds),
            `${after} ms`,
            extended ? "✓ reset" : "✗ not reset",
            data ? `user ${String(data.user_id)} (${String(data.name)})` : "(nil) → login",
          ]);
        }
        ctx.table({
          columns: ["request", "idle before it", "PTTL before", "read", "PTTL after", "TTL", "served"],
          rows,
        });
        ctx.check(
          `each request resets the TTL to the full ${formatDuration(ttlMs)} (sliding expiry)`,
          notExtended === 0,
          {
            expected: `PTTL after > PTTL before, and ≥ ${ttlMs} ms minus the time since the read`,
            actual: `${IDLE_FRACTIONS.length - notExtended}/${IDLE_FRACTIONS.length} reset`,
            evidence: () => ({
              commands: commandsOn(ctx.commands(), alice.key, { after: from }),
              values: { "PTTL before → after each request (ms)": pttls.join(", "), "TTL (ms)": ttlMs },
            }),
          },
        );
        ctx.check("each request reads the session login wrote", wrongSession === 0, {
          expected: JSON.stringify(alice.data),
          actual: `${wrongSession} different`,
          evidence: () => ({
            commands: commandsOn(ctx.commands(), alice.key, { after: from }),
            values: { "requests served another session": wrongSession },
          }),
        });
      },
    },
    {
      title: "Logout: DEL, and the next request goes to the login page",
      say:
        "Logout deletes the session. The browser may still send the old cookie; the read finds nothing and " +
        "redirects.",
      run: async (ctx, state) => {
        const alice = state.alice!;
        const deleted = await endSession(ctx.redis, alice.key);
        const data = await request(ctx, state, alice.key);
        ctx.note(
          data === null ? "the old cookie's session is gone: 302 → /login" : "the session is still there after logout!",
        );
        ctx.check("a logged-out session reads nil (the request goes to the login page)", deleted && data === null, {
          expected: "DEL → 1, then (nil)",
          actual: `DEL → ${deleted ? 1 : 0}, then ${data === null ? "(nil)" : JSON.stringify(data)}`,
          evidence: () => ({ commands: commandsOn(ctx.commands(), alice.key).slice(-2) }),
        });
      },
    },
    {
      title: "An idle session expires by itself (real expiry, a short real wait)",
      say:
        `bob logs in, makes one request, and walks away. Rather than ` +
        `wait ${formatDuration(p.ttlSeconds * 1000)}, PEXPIRE leaves the session ${EXPIRY_DEMO_MS} ms to live ` +
        `(as if he had been idle for all but that), and the run waits ${EXPIRY_WAIT_MS} ms of real time without ` +
        `touching it. Redis expires it on its own; his next request is redirected.`,
      run: async (ctx, state) => {
        const bob = await login(ctx, state, "bob", 456);
        const first = await request(ctx, state, bob.key);
        state.ttlAfterWrites.push({ what: "bob's request", pttl: await pttl(ctx.redis, bob.key) });
        await ctx.redis.call("PEXPIRE", bob.key, EXPIRY_DEMO_MS);
        const left = await pttl(ctx.redis, bob.key);
        await sleep(EXPIRY_WAIT_MS, ctx.signal);
        const later = await request(ctx, state, bob.key);
        const exists = Number(await ctx.redis.call("EXISTS", bob.key));
        ctx.table({
          columns: ["moment", "what the request got"],
          rows: [
            ["right after login", first ? `user ${String(first.user_id)} (${String(first.name)})` : "(nil)"],
            [`idle, ${left} ms left`, "(no request)"],
            [`${EXPIRY_WAIT_MS} ms later`, later === null ? "(nil) → 302 /login" : JSON.stringify(later)],
          ],
        });
        ctx.check(
          "an expired session reads nil (the request goes to the login page)",
          first !== null && left > 0 && later === null && exists === 0,
          {
            expected: `alive with ≤ ${EXPIRY_DEMO_MS} ms left, then (nil) and EXISTS 0`,
            actual:
              `${first ? "alive" : "missing"} with ${left} ms left, ` +
              `then ${later === null ? "(nil)" : "a session"} and EXISTS ${exists}`,
            evidence: () => ({
              commands: commandsOn(ctx.commands(), bob.key),
              values: { "PTTL before the wait (ms)": left, "waited (ms)": EXPIRY_WAIT_MS, EXISTS: exists },
            }),
          },
        );
        const ttlMs = p.ttlSeconds * 1000;
        const bad = state.ttlAfterWrites.filter((w) => w.pttl <= 0 || w.pttl > ttlMs);
        ctx.check("every session key had a TTL after every write", bad.length === 0, {
          expected: `0 < PTTL ≤ ${ttlMs} ms after each of ${state.ttlAfterWrites.length} writes`,
          actual: bad.length === 0 ? "all within" : bad.map((b) => `${b.what}: ${b.pttl}`).join(", "),
          evidence: () => ({
            commands: commandsNamed(ctx.commands(), ["PTTL"]),
            values: Object.fromEntries(state.ttlAfterWrites.map((w) => [`PTTL after ${w.what} (ms)`, w.pttl])),
          }),
        });
        ctx.metric("logins", state.logins);
        ctx.metric("requests", state.requests);
        ctx.metric("logouts", 1);
        ctx.metric("expiredSessions", later === null ? 1 : 0);
        ctx.metric("redirects", state.redirects);
        ctx.metric("slidingRead", state.method);
        ctx.metric("ttlSeconds", p.ttlSeconds);
        ctx.metric("commandsTotal", ctx.commands().length);
      },
    },
  ],
});
