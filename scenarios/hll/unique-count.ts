import { tag } from "../../src/redis/keys.js";
import {
  ASYMPTOTIC_FROM_ITEMS,
  HLL_DENSE_BYTES,
  HLL_REGISTERS,
  HLL_STANDARD_ERROR,
  addGeneratedAndCount,
  addUniqueInBatches,
  countUnique,
  growthBoundaries,
  inspectUnique,
  ipAddressesCooperatively,
  relativeError,
  rootMeanSquare,
  singleRunTolerance,
  splitAt,
  standardErrorBand,
  worstOfRunsSigmas,
  type BatchSnapshot,
  type HllShape,
} from "../../src/patterns/hll/index.js";
import { SCRIPTS } from "../../src/runner/support.js";
import type { Evidence } from "../../src/check-failure.js";
import { commandsNamed, commandsWhere } from "../../src/runner/evidence.js";
import { defineScenario, type StepDef } from "../../src/runner/types.js";
import { defaultHllParams, num, pct, roundTrips, type HllParams } from "./params.js";
import { round, roundPercent } from "../../src/stats.js";
import { ELEMENT_BYTES as B, memoryUsage } from "../../src/redis/memory.js";

interface UniqueCountState {
  hllKey: string;
  setKey: string;
  snapshots: BatchSnapshot[];
  estimate: number;
  exact: number;
}

export default defineScenario<HllParams, UniqueCountState>({
  id: "hll/unique-count",
  title: (p) => `Unique IPs: ${num(p.count)} distinct addresses in a HyperLogLog, and in a SET to compare`,
  explain:
    "PFADD feeds each address to a HyperLogLog: 16,384 six-bit registers, about 12 KB however many addresses " +
    "arrive, and PFCOUNT estimates how many were distinct with a standard error of 1.04/√16384 = 0.81%. The same " +
    "addresses go into a SET, the exact (and expensive) way, so the estimate and the memory can be compared.",
  chapter: "4.6 Real-time analytics",
  defaults: defaultHllParams,
  init: () => ({ hllKey: "", setKey: "", snapshots: [], estimate: 0, exact: 0 }),
  // The exact SET of every address next to the HLL, and one more HLL per trial.
  footprint: (p) => p.count * B.setMember + (p.trials + 1) * B.hll,
  needs: (p) => ["PFADD", "PFCOUNT", "SADD", "SCARD", "STRLEN", "GETRANGE", ...(p.trials >= 2 ? SCRIPTS : [])],
  steps: (p, server) => {
    const bitfield = server.has("BITFIELD_RO") ? "BITFIELD_RO" : "BITFIELD";
    const steps: StepDef<HllParams, UniqueCountState>[] = [
      {
        title:
          `PFADD and SADD ${num(p.count)} distinct addresses, up to ${num(p.batch)} per command, one pipeline ` +
          `per batch`,
        say:
          "Many items per PFADD and one pipeline per batch keep the round trips few. After each batch, STRLEN " +
          `gives the HLL's size and ${bitfield} … GET u8 32 reads byte 4 of its header, the encoding: 1 sparse, ` +
          "0 dense.",
        run: async (ctx, state) => {
          if (bitfield === "BITFIELD")
            ctx.fallback(`BITFIELD … GET for BITFIELD_RO (BITFIELD_RO: ${ctx.server.missing("BITFIELD_RO")})`);
          state.hllKey = ctx.keys.key("unique-ips", tag("api"));
          state.setKey = ctx.keys.key("unique-ips", tag("api"), "exact");
          const items = await ipAddressesCooperatively(p.seed, p.count, ctx.signal);
          const batches = splitAt(items, growthBoundaries(p.count, p.batch));
          const before = ctx.commands().length;
          state.snapshots = await addUniqueInBatches(ctx.redis, {
            key: state.hllKey,
            exactKey: state.setKey,
            batches,
            onBatch: (added) => ctx.progress(added, p.count, "items"),
            signal: ctx.signal,
            bitfield,
          });
          const sent = ctx.commands().slice(before);
          ctx.note(
            `${num(p.count)} addresses in ${sent.length} commands and ${roundTrips(sent)} round trips ` +
              `(addresses like ${items.slice(0, 3).join(", ")})`,
          );
          ctx.table({
            title: "The HLL as it grows",
            columns: ["addresses so far", "HLL bytes (STRLEN)", "encoding", "new in the SET"],
            rows: state.snapshots.map((s) => [
              num(s.added),
              num(s.bytes),
              s.encoding,
              s.newInSet === undefined ? null : num(s.newInSet),
            ]),
          });
          const lastSparse = [...state.snapshots].reverse().find((s) => s.encoding === "sparse");
          const firstDense = state.snapshots.find((s) => s.encoding === "dense");
          if (firstDense) {
            ctx.note(
              `Sparse up to ${lastSparse ? num(lastSparse.added) : "–"} addresses ` +
                `(${lastSparse ? num(lastSparse.bytes) : "–"} bytes), dense from ${num(firstDense.added)}: the ` +
                `sparse form would have passed hll-sparse-max-bytes (3,000 by default), so Redis switched ` +
                `to ${num(HLL_REGISTERS)} registers of 6 bits, ${num(firstDense.bytes)} bytes, and it never grows ` +
                `again.`,
            );
          } else {
            ctx.note(
              `Still sparse at ${num(p.count)} addresses: run-length-coded registers, smaller than ` +
                `the ${num(HLL_DENSE_BYTES)} bytes of the dense form.`,
            );
          }
          ctx.metric("sparseUntil", lastSparse?.added ?? null);
          ctx.metric("denseFrom", firstDense?.added ?? null);
          ctx.metric("loadCommands", sent.length);
          ctx.metric("loadRoundTrips", roundTrips(sent));
        },
      },
      {
        title: "PFCOUNT next to the exact count, and what each costs in memory",
        say:
          "PFCOUNT estimates; SCARD counts exactly. MEMORY USAGE … SAMPLES 0 measures every element of the SET, " +
          "not a sample.",
        run: async (ctx, state) => {
          state.estimate = await countUnique(ctx.redis, [state.hllKey]);
          state.exact = Number(await ctx.redis.call("SCARD", state.setKey));
          const shape: HllShape = await inspectUnique(ctx.redis, state.hllKey, bitfield);
          const hllMemory = await memoryUsage(ctx.redis, state.hllKey);
          const setMemory = await memoryUsage(ctx.redis, state.setKey);
          const error = relativeError(state.estimate, state.exact);
          const tolerance = singleRunTolerance(p.count);
          ctx.table({
            columns: ["", "HyperLogLog", "SET"],
            rows: [
              ["count", `${num(state.estimate)} (PFCOUNT)`, `${num(state.exact)} (SCARD)`],
              ["error", pct(error, 3, true), "0 (exact)"],
              [
                "bytes (MEMORY USAGE)",
                hllMemory === null ? "refused" : num(hllMemory),
                setMemory === null ? "refused" : num(setMemory),
              ],
              ["string length (STRLEN)", num(shape.bytes), "–"],
              [
                "bytes per address",
                hllMemory === null ? null : (hllMemory / p.count).toFixed(3),
                setMemory === null ? null : (setMemory / p.count).toFixed(1),
              ],
              ["encoding", `${shape.encoding} (header "${shape.magic}")`, "–"],
            ],
          });
          if (hllMemory !== null && setMemory !== null) {
            ctx.note(
              `The SET takes ${Math.round(setMemory / hllMemory).toLocaleString("en-US")}× the memory of the ` +
                `HLL for the same ${num(p.count)} addresses — and it can answer "was this one seen?", which the ` +
                `HLL cannot.`,
            );
          }
          ctx.note(
            `One run's error says little on its own: a correct HLL is within ±1σ ` +
              `= ${pct(HLL_STANDARD_ERROR, 2)} only about 2 runs in 3, and within ±4σ ` +
              `= ${pct(4 * HLL_STANDARD_ERROR, 2)} all but once in 16,000. --trials K measures σ itself.`,
          );
          ctx.check("the SET holds every distinct address (the exact count to compare with)", state.exact === p.count, {
            expected: p.count,
            actual: state.exact,
            evidence: () => ({ commands: commandsNamed(ctx.commands(), ["SCARD"]).slice(-1) }),
          });
          ctx.check(
            `PFCOUNT is within 4 standard errors of the exact count (±${num(tolerance)})`,
            Math.abs(state.estimate - state.exact) <= tolerance,
            {
              expected: `${num(state.exact - tolerance)}…${num(state.exact + tolerance)}`,
              actual: state.estimate,
              detail: `error ${pct(error, 3, true)}; 4σ = ${pct(4 * HLL_STANDARD_ERROR, 2)}`,
              evidence: () => ({
                commands: commandsNamed(ctx.commands(), ["PFCOUNT", "SCARD"]).slice(-2),
                values: { "4 standard errors (items)": tolerance },
              }),
            },
          );
          ctx.check(`the HLL string starts with "HYLL"`, shape.magic === "HYLL", {
            expected: "HYLL",
            actual: shape.magic,
            evidence: () => ({ commands: commandsNamed(ctx.commands(), ["GETRANGE"]).slice(-1) }),
          });
          if (shape.encoding === "dense") {
            ctx.check(
              `a dense HLL is ${num(HLL_DENSE_BYTES)} bytes: a 16-byte header and ${num(HLL_REGISTERS)} ` +
                `registers of 6 bits`,
              shape.bytes === HLL_DENSE_BYTES,
              {
                expected: HLL_DENSE_BYTES,
                actual: shape.bytes,
                evidence: () => ({
                  commands: commandsNamed(ctx.commands(), ["STRLEN"]).slice(-1),
                  values: { encoding: shape.encoding },
                }),
              },
            );
          } else {
            ctx.check(
              `a sparse HLL is smaller than the dense ${num(HLL_DENSE_BYTES)} bytes`,
              shape.bytes < HLL_DENSE_BYTES,
              {
                expected: `< ${HLL_DENSE_BYTES}`,
                actual: shape.bytes,
                evidence: () => ({
                  commands: commandsNamed(ctx.commands(), ["STRLEN"]).slice(-1),
                  values: { encoding: shape.encoding },
                }),
              },
            );
          }
          const kib = shape.bytes / 1024;
          ctx.figure({
            what: "memory of one HyperLogLog counter",
            chapter: "12 KB per counter",
            measured:
              `${num(shape.bytes)} bytes = ${kib.toFixed(1)} KiB (STRLEN, ${shape.encoding})` +
              (hllMemory === null ? "" : `, ${num(hllMemory)} bytes with Redis's overhead (MEMORY USAGE)`),
            ...(shape.encoding === "dense" ? { agrees: Math.abs(kib - 12) <= 0.6 } : {}),
            note:
              shape.encoding === "dense"
                ? `the SET of the same ${num(p.count)} ` +
                  `addresses: ${setMemory === null ? "refused" : `${(setMemory / 1024 / 1024).toFixed(1)} MiB`}`
                : "still sparse: small HLLs take less until they turn dense",
          });
          ctx.figure({
            what: "error of one PFCOUNT",
            chapter: "~0.81% error",
            measured: `${pct(error, 3, true)} on ${num(p.count)} addresses (one run)`,
            agrees: Math.abs(state.estimate - state.exact) <= tolerance,
            note:
              `a single run agrees when within 4σ = ${pct(4 * HLL_STANDARD_ERROR, 2)}; --trials K measures σ ` +
              `itself`,
          });
          ctx.metric("estimate", state.estimate);
          ctx.metric("exact", state.exact);
          ctx.metric("errorPct", round(error * 100, 4));
          ctx.metric("bytes", shape.bytes);
          ctx.metric("encoding", shape.encoding);
          ctx.metric("memoryUsage", hllMemory);
          ctx.metric("setBytes", setMemory);
          ctx.metric("setBytesPerItem", setMemory === null ? null : round(setMemory / p.count, 2));
        },
      },
    ];
    if (p.trials >= 2) steps.push(trialsStep(p));
    return steps;
  },
});

/** K more HLLs of `count` items each, generated in the server by a script: the standard error, measured. */
function trialsStep(p: HllParams): StepDef<HllParams, UniqueCountState> {
  return {
    title: `${p.trials} independent HLLs of ${num(p.count)} addresses each: the standard error, measured`,
    say:
      `Each HLL gets its own ${num(p.count)} distinct items (s${p.seed}t1:0, s${p.seed}t1:1, …; ` +
      `s${p.seed}t2:0, …), generated inside Redis by a Lua script, ${num(p.batch)} per call, so ` +
      `that ${num(p.trials * p.count)} items need not cross the wire (or fill the trace); then PFCOUNT. ` +
      "The root mean square of the relative errors is the measured standard error, compared with 1.04/√16384 = " +
      "0.81% within a χ² confidence band for that many runs.",
    run: async (ctx) => {
      const errors: number[] = [];
      const rows: (string | number)[][] = [];
      for (let t = 1; t <= p.trials; t++) {
        if (ctx.signal.aborted) break;
        const key = ctx.keys.key("unique-ips", tag("api"), `trial-${t}`);
        const estimate = await addGeneratedAndCount(ctx.redis, key, `s${p.seed}t${t}:`, p.count, p.batch);
        const error = relativeError(estimate, p.count);
        errors.push(error);
        if (t <= 10 || t === p.trials) rows.push([t, num(estimate), pct(error, 3, true)]);
        else if (t === 11) rows.push(["…", "…", "…"]);
        ctx.progress(t, p.trials, "HLLs");
      }
      ctx.table({ title: `exact count ${num(p.count)} in every run`, columns: ["run", "PFCOUNT", "error"], rows });
      ctx.plot({
        kind: "series",
        title: `The error of each of ${errors.length} HLLs, against the standard error`,
        values: errors.map((e) => roundPercent(e, 4)),
        unit: "%",
        band: {
          low: -HLL_STANDARD_ERROR * 100,
          high: HLL_STANDARD_ERROR * 100,
          label: `±${(HLL_STANDARD_ERROR * 100).toFixed(2)}% (one standard error: about 2 in 3 trials inside)`,
        },
      });
      const k = errors.length;
      const measured = rootMeanSquare(errors);
      const mean = errors.reduce((a, b) => a + b, 0) / k;
      const worst = Math.max(...errors.map(Math.abs));
      /** The PFCOUNT of the run with the largest error, and the run's figures. */
      const worstRun = (): Evidence => {
        const run = errors.findIndex((e) => Math.abs(e) === worst) + 1;
        const key = ctx.keys.key("unique-ips", tag("api"), `trial-${run}`);
        return {
          commands: commandsWhere(ctx.commands(), (c) => c.argv[0] === "PFCOUNT" && c.argv[1] === key),
          values: {
            runs: k,
            "items per run": p.count,
            "measured standard error": pct(measured, 3),
            "the run with the largest error": run,
            "its error": pct(errors[run - 1] ?? 0, 3, true),
          },
        };
      };
      const band = standardErrorBand(k);
      const asymptotic = p.count >= ASYMPTOTIC_FROM_ITEMS;
      const sigmas = worstOfRunsSigmas(k);
      ctx.table({
        columns: [
          "runs",
          "mean error",
          "measured standard error (RMS)",
          "theory 1.04/√16384",
          "band for this many runs (±4 in χ²)",
          "largest |error|",
        ],
        rows: [
          [
            k,
            pct(mean, 3, true),
            pct(measured, 3),
            pct(HLL_STANDARD_ERROR, 3),
            `${pct(band.low, 2)} … ${pct(band.high, 2)}`,
            pct(worst, 3),
          ],
        ],
      });
      if (!asymptotic) {
        ctx.note(
          `Below about ${num(ASYMPTOTIC_FROM_ITEMS)} items (6 per register) Redis's estimator is more accurate ` +
            `than 1.04/√m ` +
            "(measured ≈ 0.5% at 1,000 items, 0.66% at 50,000): only the band's upper end is checked.",
        );
      }
      ctx.check(
        `the measured standard error is no worse than the band's upper end (${pct(band.high, 2)})`,
        measured <= band.high,
        {
          expected: `≤ ${pct(band.high, 3)}`,
          actual: pct(measured, 3),
          evidence: worstRun,
        },
      );
      if (asymptotic) {
        ctx.check(
          `the measured standard error is within the band around 0.81% (${pct(band.low, 2)} … ${pct(band.high, 2)})`,
          measured >= band.low && measured <= band.high,
          {
            expected: `${pct(band.low, 3)} … ${pct(band.high, 3)}`,
            actual: pct(measured, 3),
            evidence: worstRun,
          },
        );
      }
      ctx.check(
        `every run is within ${sigmas.toFixed(1)} standard errors (a bound that holds for all ${k} runs at once)`,
        worst <= sigmas * HLL_STANDARD_ERROR,
        {
          expected: `≤ ${pct(sigmas * HLL_STANDARD_ERROR, 2)}`,
          actual: pct(worst, 3),
          evidence: worstRun,
        },
      );
      ctx.figure({
        what: "standard error of PFCOUNT",
        chapter: "~0.81% error",
        measured: `${pct(measured, 3)} RMS over ${k} HLLs of ${num(p.count)} items`,
        agrees: asymptotic ? measured >= band.low && measured <= band.high : measured <= band.high,
        note:
          `theory 1.04/√16384 = ${pct(HLL_STANDARD_ERROR, 3)}; with ${k} runs the RMS lands ` +
          `in ${pct(band.low, 2)} … ${pct(band.high, 2)}`,
      });
      ctx.metric("trials", k);
      ctx.metric("measuredStdErrorPct", round(measured * 100, 4));
      ctx.metric("theoreticalStdErrorPct", round(HLL_STANDARD_ERROR * 100, 4));
      ctx.metric("meanErrorPct", round(mean * 100, 4));
      ctx.metric("maxAbsErrorPct", round(worst * 100, 4));
    },
  };
}
