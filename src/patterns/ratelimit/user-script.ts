/**
 * A rate limiter the user wrote: a Lua file called with a documented contract, or an adapter (JSON or JS) that maps
 * another signature and reply. What comes out of every call is the same small verdict, so the checks in
 * user-check.ts treat the user's limiter exactly as they would a built-in one.
 *
 * Contracts (ARGV as decimal strings, KEYS[1] the client's key under the run's prefix):
 *   window (default)  ARGV[1] limit, ARGV[2] window in ms, ARGV[3] now in ms, ARGV[4] a unique request id
 *   bucket            ARGV[1] capacity, ARGV[2] refill per second, ARGV[3] now in ms, ARGV[4] cost
 * The reply is 1 (allowed) or 0 (rejected), or an array whose first element is that; a second numeric element,
 * when there is one, is read as what is left (remaining requests or tokens) and must never be negative.
 */
import { basename, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "../../errors.js";
import { runScript, type LuaScript } from "../../redis/script.js";
import { loadLuaFile, readSource, UserFileError } from "../shared/user-file.js";
import type { RedisArg, RedisCaller } from "../../redis/types.js";
import { arg } from "./script-args.js";

export const contracts = ["window", "bucket"] as const;
export type Contract = (typeof contracts)[number];

/** The numbers a limiter is configured with; which of them reach the script depends on the contract. */
export interface LimitConfig {
  contract: Contract;
  /** window: requests allowed per window. */
  limit: number;
  windowMs: number;
  /** bucket: capacity and refill per second. */
  capacity: number;
  refillPerSec: number;
}

/** One call of the limiter: whose key, when, what it costs (bucket) and a unique id (window). */
export interface CallInput {
  key: string;
  now: number;
  cost: number;
  requestId: string;
  config: LimitConfig;
}

export interface Verdict {
  allowed: boolean;
  /** The reply's second element when it is a number: remaining requests or tokens. */
  remaining: number | null;
  reply: unknown;
}

/** The user's limiter, ready to call. */
export interface UserLimiter {
  /** How the report names it: the script's file name, with the adapter's when there is one. */
  name: string;
  /**
   * The Lua scripts it runs (loaded up front with SCRIPT LOAD, so the trace shows them and a syntax error stops
   * the run).
   */
  scripts: LuaScript[];
  /** True when one call may send several commands (a JS adapter's own `call`): the app can die between them. */
  multiCommand: boolean;
  decide(redis: RedisCaller, input: CallInput): Promise<Verdict>;
}

/** The ARGV the default contracts send, exactly. */
export function contractArgs(input: CallInput): string[] {
  const { config: c, now, cost, requestId } = input;
  return c.contract === "bucket"
    ? [arg(c.capacity), arg(c.refillPerSec), arg(now), arg(cost)]
    : [arg(c.limit), arg(c.windowMs), arg(now), requestId];
}

/** A reply that is not what the contract says: reported as a violation of its own, with the reply. */
export class ReplyContractError extends Error {
  override readonly name = "ReplyContractError";
}

function asNumber(value: unknown): number | null {
  const v = Buffer.isBuffer(value) ? value.toString() : value;
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

/** The default reply contract: 1/0, or an array whose first element is 1/0 (and whose second is what is left). */
export function interpretReply(reply: unknown): Verdict {
  const first = Array.isArray(reply) ? reply[0] : reply;
  const flag = asNumber(first);
  if (flag !== 1 && flag !== 0) {
    throw new ReplyContractError(
      `the reply ${JSON.stringify(reply)} is neither 1/0 nor an array starting with 1/0 (an adapter can map it)`,
    );
  }
  const remaining = Array.isArray(reply) && reply.length > 1 ? asNumber(reply[1]) : null;
  return { allowed: flag === 1, remaining, reply };
}

/** A limiter from a Lua file and the default contract. */
export function scriptLimiter(script: LuaScript): UserLimiter {
  return {
    name: script.name.replace(/^user:/, ""),
    scripts: [script],
    multiCommand: false,
    async decide(redis, input) {
      return interpretReply(await runScript(redis, script, [input.key], contractArgs(input)));
    },
  };
}

// ---- adapters ---------------------------------------------------------------------------------------------------

/**
 * A JSON adapter: templates for KEYS and ARGV, and how to read the reply.
 * ```json
 * { "keys": ["{key}"], "args": ["{nowSec}", "{windowSec}", "{limit}"],
 *   "reply": { "allowed": { "index": 0, "is": [1, "OK"] }, "remaining": { "index": 1 } } }
 * ```
 * Placeholders: {key} {limit} {windowMs} {windowSec} {now} {nowSec} {requestId} {capacity} {refillPerSec} {refillPerMs}
 * {cost}.
 * `allowed.index` null (or absent with a non-array reply) reads the whole reply; `isNot` instead of `is` lists the
 * rejected values.
 */
export interface JsonAdapter {
  keys?: string[];
  args?: string[];
  reply?: {
    allowed?: { index?: number | null; is?: unknown[]; isNot?: unknown[] };
    remaining?: { index: number };
  };
}

/**
 * A JS adapter (an ES module, `export default { … }` or named exports). Any of:
 * - `keys(input)`, `args(input)`: KEYS and ARGV for the limiter script;
 * - `allowed(reply)`, `remaining(reply)`: read the reply;
 * - `call(redis, input)`: run the request itself and return the reply (or a boolean). `redis.call(cmd, …args)` sends
 *   one command; `redis.script(keys, args)` runs the limiter script (EVALSHA, EVAL on NOSCRIPT). With `call`, that
 *   script is optional, and the checks also let the app die between two of its commands.
 */
export interface JsAdapter {
  keys?(input: CallInput): string[];
  args?(input: CallInput): RedisArg[];
  allowed?(reply: unknown): boolean;
  remaining?(reply: unknown): number | null;
  call?(redis: AdapterRedis, input: CallInput): Promise<unknown>;
}

export interface AdapterRedis {
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  script(keys: string[], args: RedisArg[]): Promise<unknown>;
}

function placeholders(input: CallInput): Record<string, string> {
  const { config: c, now, cost, requestId, key } = input;
  return {
    key,
    limit: arg(c.limit),
    windowMs: arg(c.windowMs),
    windowSec: arg(c.windowMs / 1000),
    now: arg(now),
    nowSec: arg(now / 1000),
    requestId,
    capacity: arg(c.capacity),
    refillPerSec: arg(c.refillPerSec),
    refillPerMs: arg(c.refillPerSec / 1000),
    cost: arg(cost),
  };
}

/** The adapter at `path` does not fit: `rest` follows its name ("the adapter x.json: …", or the CLI's flag). */
function adapterError(path: string, rest: string): UserFileError {
  return new UserFileError("adapter", path, (name) => `${name("adapter")} ${path}${rest}`);
}

function fill(template: string, values: Record<string, string>, path: string): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw adapterError(path, `: unknown placeholder ${whole} in "${template}"`);
    return value;
  });
}

function same(a: unknown, b: unknown): boolean {
  const x = Buffer.isBuffer(a) ? a.toString() : a;
  return x === b || (asNumber(x) !== null && asNumber(x) === asNumber(b));
}

function fromJson(adapter: JsonAdapter, path: string, script: LuaScript | undefined): UserLimiter {
  if (!script) {
    throw new UserFileError(
      "adapter",
      path,
      (name) => `${name("adapter")} ${path} maps a script's signature: give the script with ${name("script")}`,
    );
  }
  const bad = (why: string) => adapterError(path, `: ${why}`);
  if (adapter.keys !== undefined && !(Array.isArray(adapter.keys) && adapter.keys.every((k) => typeof k === "string")))
    throw bad(`"keys" must be an array of strings`);
  if (adapter.args !== undefined && !(Array.isArray(adapter.args) && adapter.args.every((k) => typeof k === "string")))
    throw bad(`"args" must be an array of strings`);
  const allowedSpec = adapter.reply?.allowed;
  const remainingSpec = adapter.reply?.remaining;
  // Check the templates once, up front: an unknown placeholder is a usage error before anything is sent.
  const probe: CallInput = {
    key: "k",
    now: 0,
    cost: 1,
    requestId: "r",
    config: { contract: "window", limit: 1, windowMs: 1, capacity: 1, refillPerSec: 1 },
  };
  for (const t of [...(adapter.keys ?? []), ...(adapter.args ?? [])]) fill(t, placeholders(probe), path);
  return {
    name: `${script.name.replace(/^user:/, "")} via ${basename(path)}`,
    scripts: [script],
    multiCommand: false,
    async decide(redis, input) {
      const values = placeholders(input);
      const keys = (adapter.keys ?? ["{key}"]).map((t) => fill(t, values, path));
      const args = adapter.args ? adapter.args.map((t) => fill(t, values, path)) : contractArgs(input);
      const reply = await runScript(redis, script, keys, args);
      if (!allowedSpec && !remainingSpec) return interpretReply(reply);
      const pick = (index: number | null | undefined) =>
        index === null || index === undefined ? (Array.isArray(reply) ? reply[0] : reply) : (reply as unknown[])[index];
      let allowed: boolean;
      if (allowedSpec) {
        const value = pick(allowedSpec.index);
        if (allowedSpec.is) allowed = allowedSpec.is.some((v) => same(value, v));
        else if (allowedSpec.isNot) allowed = !allowedSpec.isNot.some((v) => same(value, v));
        else allowed = asNumber(value) === 1;
      } else allowed = interpretReply(reply).allowed;
      const remaining = remainingSpec && Array.isArray(reply) ? asNumber(reply[remainingSpec.index]) : null;
      return { allowed, remaining, reply };
    },
  };
}

function fromJs(adapter: JsAdapter, path: string, script: LuaScript | undefined): UserLimiter {
  const { call } = adapter;
  if (!call && !script)
    throw new UserFileError(
      "adapter",
      path,
      (name) => `${name("adapter")} ${path} has no call(redis, input): give the script with ${name("script")}`,
    );
  const verdict = (reply: unknown): Verdict => {
    if (typeof reply === "boolean" && !adapter.allowed) return { allowed: reply, remaining: null, reply };
    if (!adapter.allowed) {
      const v = interpretReply(reply);
      return adapter.remaining ? { ...v, remaining: adapter.remaining(reply) } : v;
    }
    return { allowed: adapter.allowed(reply) === true, remaining: adapter.remaining?.(reply) ?? null, reply };
  };
  const runUserScript = async (redis: RedisCaller, keys: string[], args: RedisArg[]) => {
    if (!script) throw new Error(`the adapter ${path} called redis.script() but no limiter script was given`);
    return runScript(redis, script, keys, args);
  };
  return {
    name: script ? `${script.name.replace(/^user:/, "")} via ${basename(path)}` : basename(path),
    scripts: script ? [script] : [],
    multiCommand: call !== undefined,
    async decide(redis, input) {
      if (call) {
        const facade: AdapterRedis = {
          call: (command, ...args) => redis.call(command, ...args),
          script: (keys, args) => runUserScript(redis, keys, args),
        };
        return verdict(await call(facade, input));
      }
      const keys = adapter.keys?.(input) ?? [input.key];
      const args = adapter.args?.(input) ?? contractArgs(input);
      return verdict(await runUserScript(redis, keys, args));
    },
  };
}

/** A Lua file and/or an adapter → the limiter to check. */
export async function loadUserLimiter(
  scriptPath: string | undefined,
  adapterPath: string | undefined,
): Promise<UserLimiter> {
  const script = scriptPath ? loadLuaFile(scriptPath, "script") : undefined;
  if (!adapterPath) {
    if (!script) {
      throw new UserFileError(
        "script",
        undefined,
        (name) => `give the limiter to check with ${name("script")} FILE.lua (or ${name("adapter")} FILE.js)`,
      );
    }
    return scriptLimiter(script);
  }
  const ext = extname(adapterPath).toLowerCase();
  if (ext === ".json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readSource(adapterPath, "adapter"));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw adapterError(adapterPath, ` is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw adapterError(adapterPath, " must hold a JSON object");
    return fromJson(parsed as JsonAdapter, adapterPath, script);
  }
  if (ext === ".js" || ext === ".mjs") {
    readSource(adapterPath, "adapter");
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolve(adapterPath)).href)) as Record<string, unknown>;
    } catch (err) {
      throw adapterError(adapterPath, ` does not load: ${(err as Error).message.split("\n")[0]}`);
    }
    const adapter = (typeof mod.default === "object" && mod.default !== null ? mod.default : mod) as JsAdapter;
    return fromJs(adapter, adapterPath, script);
  }
  throw adapterError(adapterPath, ": expected a .json, .js or .mjs file");
}
