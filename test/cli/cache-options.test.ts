import { describe, expect, it } from "vitest";
import { cacheMode, cachePlan, originParams } from "../../src/cli/commands/cache.js";
import type { CacheCliOptions } from "../../src/cli/options/cache.js";

const base = { db: "sqlite", color: true, timeout: 5_000, trace: "full" } as CacheCliOptions;
const opts = (extra: Partial<CacheCliOptions>): CacheCliOptions => ({ ...base, ...extra });

describe("cache options → scenarios", () => {
  it("picks one family, and refuses two", () => {
    expect(cacheMode(base)).toBe("workload");
    expect(cacheMode(opts({ protect: "lock" }))).toBe("stampede");
    expect(cacheMode(opts({ stampede: true, compare: true }))).toBe("stampede");
    expect(() => cacheMode(opts({ race: true, invalidate: "ttl" }))).toThrow(/choose one of/);
    expect(() => cacheMode(opts({ strategy: "cache-aside", stampede: true }))).toThrow(/choose one of/);
    expect(() => cacheMode(opts({ race: true, keys: 4 }))).toThrow(
      /--keys applies to the strategies, --invalidate and --topology only/,
    );
    expect(() => cacheMode(opts({ invalidate: "ttl", instances: 2 }))).toThrow(
      /--instances applies to --invalidate event and --topology only/,
    );
  });

  it("runs what was asked, with the user's values over each scenario's defaults", () => {
    const ids = (o: CacheCliOptions) => cachePlan(o).runs.map((r) => r.def.id);
    expect(ids(base)).toEqual(["cache/cache-aside", "cache/read-through", "cache/write-through", "cache/write-behind"]);
    expect(ids(opts({ crashBeforeFlush: true }))).toEqual(["cache/write-behind"]);
    expect(ids(opts({ stampede: true }))).toEqual([
      "cache/stampede-none",
      "cache/stampede-lock",
      "cache/stampede-early-expiry",
    ]);
    expect(ids(opts({ invalidate: "versioned" }))).toEqual(["cache/invalidate-versioned"]);
    const [ttl] = cachePlan(opts({ invalidate: "ttl", ttl: 150 })).runs;
    expect(ttl!.params).toMatchObject({ ttlMs: 150, keys: 3, dbLatencyMs: 1 });
    const [versioned] = cachePlan(opts({ invalidate: "versioned" })).runs;
    expect(versioned!.params).toMatchObject({ ttlMs: 300 });
    const [lock] = cachePlan(opts({ protect: "lock", concurrency: 4, db: "postgres://u@h/d" })).runs;
    expect(lock!.params).toMatchObject({ concurrency: 4, dbLatencyMs: 20, db: "postgres://u@h/d" });
    expect(cachePlan(opts({ strategy: "write-through" })).summarize).toBeUndefined();
  });

  it("moves a PostgreSQL password into PGPASSWORD, so the params never hold it", () => {
    const env: NodeJS.ProcessEnv = {};
    const p = originParams(
      opts({ db: "postgres://app:p%40ss@db.internal:5432/shop" }),
      { db: "sqlite", dbLatencyMs: 1 },
      env,
    );
    expect(p).toEqual({ db: "postgres://app@db.internal:5432/shop", dbLatencyMs: 0 });
    expect(env.PGPASSWORD).toBe("p@ss");
    // An explicit PGPASSWORD wins; --db-latency wins over the defaults.
    const env2: NodeJS.ProcessEnv = { PGPASSWORD: "from-env" };
    expect(
      originParams(opts({ db: "postgres://app:x@h/d", dbLatency: 3 }), { db: "sqlite", dbLatencyMs: 1 }, env2)
        .dbLatencyMs,
    ).toBe(3);
    expect(env2.PGPASSWORD).toBe("from-env");
  });
});
