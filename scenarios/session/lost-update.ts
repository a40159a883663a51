import type { Redis } from "ioredis";
import {
  addToCart,
  applyChanges,
  commitSession,
  createHashSession,
  missingChanges,
  newSessionId,
  readHashSession,
  readSession,
  saveSession,
  setSessionField,
  watchSession,
  type FieldChange,
  type SessionData,
} from "../../src/patterns/session/index.js";
import { defineScenario, type ScenarioContext } from "../../src/runner/types.js";
import { CHAPTER, defaultParams, sessionKey, type SessionParams } from "./params.js";
import { ELEMENT_BYTES as B } from "../../src/redis/memory.js";

/** The session both requests start from. */
const BASE = { user_id: 123, role: "admin", cart_size: 0, theme: "light" };
/** Request A adds an item to the cart; request B switches the theme: different fields of the same session. */
const CHANGE_A: FieldChange = { by: "request A", field: "cart_size", value: 1 };
const CHANGE_B: FieldChange = { by: "request B", field: "theme", value: "dark" };

interface Outcome {
  approach: string;
  missing: FieldChange[];
  aborts: number;
  commands: number;
}

export interface LostUpdateState {
  a?: Redis;
  b?: Redis;
  outcomes: Outcome[];
}

type Ctx = ScenarioContext<SessionParams>;
type Row = (string | number)[];

const show = (data: Record<string, unknown> | null): string =>
  data === null ? "(nil)" : `cart_size=${String(data.cart_size)} theme=${String(data.theme)}`;

const describeMissing = (missing: FieldChange[]): string =>
  missing.length === 0 ? "both kept" : missing.map((c) => `${c.by}'s ${c.field}=${String(c.value)} lost`).join(", ");

/** The two requests' connections: each app server has its own, and WATCH belongs to a connection. */
async function servers(ctx: Ctx, state: LostUpdateState): Promise<{ a: Redis; b: Redis }> {
  state.a ??= await ctx.connect("server-a");
  state.b ??= await ctx.connect("server-b");
  return { a: state.a, b: state.b };
}

/**
 * The start of each race: both app servers, a new session logged in on server-a (the JSON with SET … EX, or a hash
 * with HSET + EXPIRE), the table's first row, and where in the trace the race begins.
 */
async function startRace(ctx: Ctx, state: LostUpdateState, session: "json" | "hash") {
  const { a, b } = await servers(ctx, state);
  const key = sessionKey(ctx, newSessionId());
  const mark = ctx.commands().length;
  const ttl = ctx.params.ttlSeconds;
  if (session === "json") await saveSession(a, key, BASE, ttl);
  else await createHashSession(a, key, BASE, ttl);
  const login = session === "json" ? `SET … EX ${ttl}` : `HSET + EXPIRE ${ttl}`;
  const rows: Row[] = [["login", "server-a", login, show(BASE)]];
  return { a, b, key, mark, rows };
}

export default defineScenario<SessionParams, LostUpdateState>({
  id: "session/lost-update",
  title: "The lost update: two requests rewrite the whole session; field-level writes keep both",
  explain:
    "Two requests of one user arrive at the same moment on two app servers. Each reads the session, changes a " +
    "different field (A adds to the cart, B switches the theme) and writes it back. With whole-object writes (GET, " +
    "then SET of the JSON) the later write silently erases the earlier one's change. Field-level writes on a hash " +
    "(HINCRBY, HSET) touch only their own field and keep both; WATCH/MULTI keeps whole-object writes correct by " +
    "making the loser retry. The interleaving is scripted, so the loss happens every run, not by luck.",
  chapter: CHAPTER,
  defaults: defaultParams,
  // One session (a JSON string or a hash of a few hundred bytes) per user.
  footprint: (p) => p.sessions * (B.key + 2048),
  init: () => ({ outcomes: [] }),
  needs: ["WATCH", "MULTI", "EXEC", "HSET", "HGETALL", "HINCRBY", "EXPIRE", "GET", "SET … EX"],
  steps: (p) => [
    {
      title: "Whole-object writes: A and B both GET the JSON, then both SET it back",
      say:
        "Order: A reads, B reads, A writes (cart_size 1), B writes (theme dark) from the copy it read before A's " +
        "write.",
      run: async (ctx, state) => {
        const { a, b, key, mark, rows } = await startRace(ctx, state, "json");
        const seenA = (await readSession(a, key))!;
        rows.push(["A reads", "server-a", "GET", show(seenA)]);
        const seenB = (await readSession(b, key))!;
        rows.push(["B reads", "server-b", "GET", show(seenB)]);
        const writeA = applyChanges(seenA, [CHANGE_A]);
        await saveSession(a, key, writeA, p.ttlSeconds);
        rows.push(["A writes", "server-a", "SET (whole JSON)", show(writeA)]);
        const writeB = applyChanges(seenB, [CHANGE_B]);
        await saveSession(b, key, writeB, p.ttlSeconds);
        rows.push(["B writes", "server-b", "SET (whole JSON)", show(writeB)]);
        const final = await readSession(a, key);
        rows.push(["afterwards", "server-a", "GET", show(final)]);
        ctx.table({ columns: ["moment", "server", "command", "the session it reads or writes"], rows });
        const missing = missingChanges(final, [CHANGE_A, CHANGE_B]);
        ctx.note(
          `serially, the session would end as ${show(applyChanges(BASE, [CHANGE_A, CHANGE_B]))}; it ended ` +
            `as ${show(final)}: ${describeMissing(missing)}`,
        );
        state.outcomes.push({
          approach: "whole JSON: GET, then SET",
          missing,
          aborts: 0,
          commands: ctx.commands().length - mark,
        });
        ctx.check(
          "whole-object writes lose an update: A's cart item vanishes under B's write",
          missing.length === 1 && missing[0] === CHANGE_A,
          {
            expected: "request A's cart_size=1 missing, B's theme=dark kept",
            actual: describeMissing(missing),
            detail: "the chapter's JSON session, raced",
            evidence: () => ({
              commands: ctx.commands().slice(mark),
              values: { "the session afterwards": show(final) },
            }),
          },
        );
      },
    },
    {
      title: "Field-level writes on a hash: A's HINCRBY and B's HSET touch only their field",
      say: "The same order (A reads, B reads, A writes, B writes), but each write names only the field it changes.",
      run: async (ctx, state) => {
        const { a, b, key, mark, rows } = await startRace(ctx, state, "hash");
        rows.push(["A reads", "server-a", "HGETALL", show(await readHashSession(a, key))]);
        rows.push(["B reads", "server-b", "HGETALL", show(await readHashSession(b, key))]);
        const cart = await addToCart(a, key, { ttlSeconds: p.ttlSeconds, items: Number(CHANGE_A.value) });
        rows.push(["A writes", "server-a", "HINCRBY cart_size 1 + EXPIRE", `cart_size=${cart}`]);
        await setSessionField(b, key, CHANGE_B.field, String(CHANGE_B.value), p.ttlSeconds);
        rows.push(["B writes", "server-b", "HSET theme dark + EXPIRE", `theme=${String(CHANGE_B.value)}`]);
        const final = await readHashSession(a, key);
        rows.push(["afterwards", "server-a", "HGETALL", show(final)]);
        ctx.table({ columns: ["moment", "server", "command", "the session it reads or writes"], rows });
        const missing = missingChanges(final, [CHANGE_A, CHANGE_B]);
        const untouched = final !== null && final.user_id === String(BASE.user_id) && final.role === BASE.role;
        state.outcomes.push({
          approach: "hash: HINCRBY / HSET per field",
          missing,
          aborts: 0,
          commands: ctx.commands().length - mark,
        });
        ctx.check("field-level updates keep both changes", missing.length === 0 && untouched, {
          expected: "cart_size=1 and theme=dark, user_id and role unchanged",
          actual: `${describeMissing(missing)}${untouched ? "" : ", other fields changed"}`,
          evidence: () => ({ commands: ctx.commands().slice(mark), values: { "the session afterwards": show(final) } }),
        });
      },
    },
    {
      title: "Whole-object writes made safe: WATCH, then MULTI/SET/EXEC; the loser retries",
      say:
        "Each request WATCHes the key before its GET. A's EXEC commits; B's EXEC finds the key changed since " +
        "its WATCH and runs nothing (EXEC → nil), so B reads again, reapplies its change to A's version and " +
        "commits.",
      run: async (ctx, state) => {
        const { a, b, key, mark, rows } = await startRace(ctx, state, "json");
        const seenA = (await watchSession(a, key))!;
        rows.push(["A reads", "server-a", "WATCH, GET", show(seenA)]);
        let seenB: SessionData = (await watchSession(b, key))!;
        rows.push(["B reads", "server-b", "WATCH, GET", show(seenB)]);
        const committedA = await commitSession(a, key, applyChanges(seenA, [CHANGE_A]), p.ttlSeconds);
        rows.push(["A writes", "server-a", "MULTI, SET, EXEC", committedA ? "committed" : "aborted (EXEC → nil)"]);
        let aborts = committedA ? 0 : 1;
        let committedB = false;
        for (let attempt = 1; attempt <= 3 && !committedB; attempt++) {
          if (attempt > 1) {
            seenB = (await watchSession(b, key))!;
            rows.push([`B reads again`, "server-b", "WATCH, GET", show(seenB)]);
          }
          committedB = await commitSession(b, key, applyChanges(seenB, [CHANGE_B]), p.ttlSeconds);
          if (!committedB) aborts += 1;
          rows.push([
            attempt === 1 ? "B writes" : "B writes again",
            "server-b",
            "MULTI, SET, EXEC",
            committedB ? "committed" : "aborted (EXEC → nil): the key changed since WATCH",
          ]);
        }
        const final = await readSession(a, key);
        rows.push(["afterwards", "server-a", "GET", show(final)]);
        ctx.table({ columns: ["moment", "server", "command", "the session it reads, or the outcome"], rows });
        const missing = missingChanges(final, [CHANGE_A, CHANGE_B]);
        state.outcomes.push({
          approach: "whole JSON with WATCH/MULTI",
          missing,
          aborts,
          commands: ctx.commands().length - mark,
        });
        ctx.check(
          "WATCH turns the lost update into a retry: B's first EXEC aborts, both changes are kept",
          aborts === 1 && missing.length === 0,
          {
            expected: "1 aborted EXEC, both kept",
            actual: `${aborts} aborted, ${describeMissing(missing)}`,
            evidence: () => ({
              commands: ctx.commands().slice(mark),
              values: { "aborted EXECs": aborts, "the session afterwards": show(final) },
            }),
          },
        );
      },
    },
    {
      title: "Verdict: the three ways of writing the same two changes",
      run: async (ctx, state) => {
        ctx.table({
          columns: [
            "approach",
            "changes lost",
            "EXEC aborted (retries)",
            "commands (incl. login and final read)",
            "outcome",
          ],
          rows: state.outcomes.map((o) => [
            o.approach,
            o.missing.length,
            o.aborts,
            o.commands,
            describeMissing(o.missing),
          ]),
        });
        const lost = (approach: string) =>
          state.outcomes.find((o) => o.approach.startsWith(approach))?.missing.length ?? null;
        ctx.metric("lostUpdatesWholeObject", lost("whole JSON: GET"));
        ctx.metric("lostUpdatesFieldLevel", lost("hash"));
        ctx.metric("lostUpdatesWatch", lost("whole JSON with WATCH"));
        ctx.metric(
          "watchAborts",
          state.outcomes.find((o) => o.approach.startsWith("whole JSON with WATCH"))?.aborts ?? null,
        );
        ctx.metric("ttlSeconds", p.ttlSeconds);
        ctx.metric("commandsTotal", ctx.commands().length);
      },
    },
  ],
});
