import { describe, expect, it } from "vitest";
import { plotLines } from "../../src/cli/render/plot.js";
import { displayWidth } from "../../src/cli/render/text.js";
import type { PlotData } from "../../src/runner/types.js";
import { runCli } from "../helpers/cli.js";
import { useRedisServer } from "../helpers/redis.js";

const EDGE = Date.UTC(2024, 0, 15, 10, 31, 0);
/** The fixed window's boundary burst: 10 allowed and 5 refused just before the edge, the same just after. */
const burst: PlotData = {
  kind: "timeline",
  title: "Every decision on a timeline, 10 per 1m",
  from: EDGE - 500,
  to: EDGE + 466,
  marks: [{ at: EDGE, label: "window edge 10:31:00" }],
  events: Array.from({ length: 30 }, (_, i) => ({
    at: (i < 15 ? EDGE - 500 : EDGE) + (i % 15) * 33,
    ok: i % 15 < 10,
  })),
  okLabel: "allowed",
  notOkLabel: "rejected",
};

const all: PlotData[] = [
  burst,
  { kind: "histogram", title: "latency", values: [0.1, 0.12, 0.11, 0.3, 0.13, 5], unit: "ms" },
  {
    kind: "series",
    title: "error",
    values: [0.5, -0.2, 1.2, -0.9, 0.1],
    unit: "%",
    band: { low: -0.81, high: 0.81, label: "±0.81%" },
  },
  {
    kind: "spans",
    title: "holders",
    from: 0,
    to: 100,
    lanes: [
      { label: "worker-1", spans: [{ from: 0, to: 60 }] },
      { label: "worker-2", spans: [{ from: 40, to: 100 }] },
    ],
  },
  {
    kind: "bars",
    title: "fates",
    bars: [
      { label: "acknowledged", value: 8 },
      { label: "lost", value: 2 },
    ],
  },
];

describe("plots", () => {
  it.each(all.flatMap((p) => [40, 60, 80, 120].map((w) => [p.kind, w, p] as const)))(
    "%s fits %i columns, in Unicode and in ASCII",
    (_kind, width, plot) => {
      for (const ascii of [false, true]) {
        const lines = plotLines(plot, { width, ascii });
        for (const l of lines) expect(displayWidth(l), l).toBeLessThanOrEqual(width);
        if (ascii) for (const l of lines.slice(1)) expect(l).toMatch(/^[\x20-\x7e…±·]*$/);
      }
    },
  );

  it("the boundary burst: allowed on both sides of the edge, the edge marked on the axis", () => {
    const lines = plotLines(burst, { width: 80, ascii: false });
    const axis = lines[3]!;
    const edge = axis.indexOf("┼");
    expect(edge).toBeGreaterThan(0);
    const allowed = lines[1]!;
    const before = allowed.slice(0, edge).replace(/[^█]/g, "").length;
    const after = allowed.slice(edge).replace(/[^█]/g, "").length;
    expect(before).toBe(10);
    expect(after).toBe(10);
    expect(lines[4]).toContain("window edge 10:31:00");
  });

  it("a double hold shows where two lanes overlap", () => {
    const lines = plotLines(all[3]!, { width: 60, ascii: true });
    const overlap = lines.find((l) => l.startsWith("2 hold"))!;
    expect(overlap).toMatch(/X/);
    const first = overlap.indexOf("X");
    // The overlap is 40..60 of 100: it starts near 40% of the lane.
    expect(first).toBeGreaterThan(lines[1]!.indexOf("=") + 10);
  });

  it("the histogram counts every value and reports p50/p99", () => {
    const lines = plotLines(all[1]!, { width: 80, ascii: false });
    const counted = lines
      .slice(1, -1)
      .map((l) => Number(/\s(\d+)\s/.exec(l.replace(/^.*?ms/, ""))?.[1] ?? 0))
      .reduce((a, b) => a + b, 0);
    expect(counted).toBe(6);
    expect(lines[lines.length - 1]).toMatch(/n 6 · p50 0\.1\d+ · p99/);
  });

  it("every histogram bar is drawn in whole and partial blocks, whatever the counts and the width", () => {
    // A bar whose length ends 15/16 of a cell or more into its last cell once drew "undefined" after its blocks.
    for (const width of [40, 57, 61, 80, 97]) {
      for (let big = 2; big <= 60; big += 7) {
        const values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
        const weights = values.map((_, i) => (i === 0 ? big * 37 : (i * big * 11) % (big * 37)) + 1);
        const lines = plotLines(
          { kind: "histogram", title: "t", values, weights, unit: "ms" },
          { width, ascii: false },
        );
        for (const line of lines.slice(1, -1)) {
          expect(line).not.toContain("undefined");
          expect(line).toMatch(/ \d+ [█▉▊▋▌▍▎▏]*$/u);
          expect(line.length).toBeLessThanOrEqual(width);
        }
      }
    }
  });

  it("a histogram of weighted values (bench's buckets) draws as the values repeated", () => {
    const values = [0.2, 0.1, 0.4, 3];
    const weights = [5, 2, 1, 1];
    const repeated = values.flatMap((v, i) => new Array<number>(weights[i]!).fill(v));
    const style = { width: 70, ascii: true };
    expect(plotLines({ kind: "histogram", title: "t", values, weights, unit: "ms" }, style)).toEqual(
      plotLines({ kind: "histogram", title: "t", values: repeated, unit: "ms" }, style),
    );
  });
});

describe("plots in --json, as data", () => {
  const server = useRedisServer();

  it("ratelimit: the verdict step carries the timeline, every decision and the window edge", async () => {
    const result = await runCli(["ratelimit", "--algo", "fixed-window", "--json", "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { scenarios: { steps: { plots?: PlotData[] }[] }[] };
    const plots = doc.scenarios[0]!.steps.flatMap((s) => s.plots ?? []);
    expect(plots).toHaveLength(1);
    const timeline = plots[0] as Extract<PlotData, { kind: "timeline" }>;
    expect(timeline.kind).toBe("timeline");
    expect(timeline.events).toHaveLength(30);
    expect(timeline.events.filter((e) => e.ok)).toHaveLength(20);
    expect(timeline.marks.map((m) => m.at)).toEqual([Date.UTC(2024, 0, 15, 10, 31, 0)]);
  });

  it("queue: the fates of the messages add up to what was produced", async () => {
    const result = await runCli(["queue", "--variant", "list", "--json", "--url", server().url]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      scenarios: { metrics: Record<string, number>; steps: { plots?: PlotData[] }[] }[];
    };
    const bars = doc.scenarios[0]!.steps.flatMap((s) => s.plots ?? []).find((p) => p.kind === "bars") as Extract<
      PlotData,
      { kind: "bars" }
    >;
    expect(bars.bars.reduce((n, b) => n + b.value, 0)).toBe(doc.scenarios[0]!.metrics.produced);
  });
});
