import type { PlotData } from "../../runner/types.js";
import { weightedQuantileOfSorted } from "../../stats.js";
import { formatMs } from "../format.js";
import { displayWidth, padEnd, truncateEnd } from "./text.js";

/**
 * Plots drawn as text: Unicode blocks (▁▂▃▄▅▆▇█) and box drawing, or plain ASCII (`--ascii`, TERM=dumb). Each fits
 * `width` columns. (asciichart, on the package list, draws line charts only: not timelines, histograms or lanes.)
 */
export interface PlotStyle {
  width: number;
  ascii: boolean;
  /** Colours: passed/failed events, dim labels. Identity without colour. */
  ok?: (t: string) => string;
  bad?: (t: string) => string;
  dim?: (t: string) => string;
}

const BLOCKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
const ASCII_BLOCKS = [".", ":", "-", "=", "+", "*", "#", "@"];

const id = (t: string) => t;

/** A count as a block of height ∝ count/max (a space for 0). */
function block(count: number, max: number, ascii: boolean): string {
  if (count <= 0) return " ";
  const blocks = ascii ? ASCII_BLOCKS : BLOCKS;
  return blocks[Math.min(blocks.length - 1, Math.max(0, Math.ceil((count / max) * blocks.length) - 1))]!;
}

export function plotLines(plot: PlotData, style: PlotStyle): string[] {
  switch (plot.kind) {
    case "timeline":
      return timeline(plot, style);
    case "histogram":
      return histogram(plot, style);
    case "series":
      return series(plot, style);
    case "spans":
      return spans(plot, style);
    case "bars":
      return bars(plot, style);
  }
}

function fmtClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** Events per column on a time axis: a row of passed (height = how many), a row of refused, marks below. */
function timeline(plot: Extract<PlotData, { kind: "timeline" }>, s: PlotStyle): string[] {
  const ok = s.ok ?? id;
  const bad = s.bad ?? id;
  const dim = s.dim ?? id;
  const label = Math.max(displayWidth(plot.okLabel), displayWidth(plot.notOkLabel)) + 1;
  const cols = Math.max(10, s.width - label - 2);
  const span = Math.max(1, plot.to - plot.from);
  const col = (at: number) => Math.min(cols - 1, Math.max(0, Math.floor(((at - plot.from) / span) * cols)));
  const passed = new Array<number>(cols).fill(0);
  const refused = new Array<number>(cols).fill(0);
  for (const e of plot.events) (e.ok ? passed : refused)[col(e.at)]! += 1;
  const max = Math.max(1, ...passed, ...refused);
  const markCols = new Set(plot.marks.map((m) => col(m.at)));
  const edge = s.ascii ? "|" : "┊";
  const row = (counts: number[], paint: (t: string) => string) =>
    counts.map((n, i) => (n > 0 ? paint(block(n, max, s.ascii)) : markCols.has(i) ? dim(edge) : " ")).join("");
  const axis = Array.from({ length: cols }, (_, i) =>
    markCols.has(i) ? (s.ascii ? "+" : "┼") : s.ascii ? "-" : "─",
  ).join("");
  const out = [
    truncateEnd(plot.title, s.width),
    `${padEnd(plot.okLabel, label)} ${row(passed, ok)}`,
    `${padEnd(plot.notOkLabel, label)} ${row(refused, bad)}`,
    `${" ".repeat(label)} ${dim(axis)}`,
  ];
  // The axis' ends, and each mark's label under it where there is room.
  const under = new Array<string>(cols).fill(" ");
  const put = (at: number, text: string) => {
    const start = Math.max(0, Math.min(cols - text.length, at));
    // Leave a space on either side of what is already there.
    if (under.slice(Math.max(0, start - 1), start + text.length + 1).some((c) => c !== " ")) return;
    for (let i = 0; i < text.length && start + i < cols; i++) under[start + i] = text[i]!;
  };
  put(0, fmtClock(plot.from));
  for (const m of plot.marks) put(col(m.at) - Math.floor(m.label.length / 2), m.label);
  put(cols - fmtClock(plot.to).length, fmtClock(plot.to));
  out.push(`${" ".repeat(label)} ${dim(under.join("").trimEnd())}`);
  out.push(
    dim(
      truncateEnd(
        `column = ${formatMs(span / cols)} · height = count ` +
          `(max ${max})${plot.marks.length ? ` · ${edge} ${plot.marks[0]!.label.replace(/ \d.*$/, "")}` : ""}`,
        s.width,
      ),
    ),
  );
  return out;
}

/** Values sorted, each with how many times it counts, and their total: a quantile is by count. */
interface Weighted {
  values: number[];
  weights: number[];
  n: number;
}

function weighted(values: number[], weights: number[] | undefined): Weighted {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const w = order.map((i) => weights?.[i] ?? 1);
  return { values: order.map((i) => values[i]!), weights: w, n: w.reduce((s, x) => s + x, 0) };
}

function weightedQuantile(d: Weighted, q: number): number {
  return weightedQuantileOfSorted(d.values, d.weights, d.n, q);
}

/** Values in buckets, one line per bucket: `0.10–0.12 ms ████████▌ 412`. */
function histogram(plot: Extract<PlotData, { kind: "histogram" }>, s: PlotStyle): string[] {
  const dim = s.dim ?? id;
  if (plot.values.length === 0) return [plot.title, dim("(no values)")];
  const d = weighted(plot.values, plot.weights);
  // Up to the 99th percentile in 8 buckets; the slow tail counted on its own line.
  const low = d.values[0]!;
  const high = Math.max(low + 1e-9, weightedQuantile(d, 0.99));
  const buckets = 8;
  const size = (high - low) / buckets;
  const counts = new Array<number>(buckets).fill(0);
  let tail = 0;
  d.values.forEach((v, i) => {
    const w = d.weights[i]!;
    if (v > high) tail += w;
    else counts[Math.min(buckets - 1, Math.floor((v - low) / size))]! += w;
  });
  const fmt = (v: number) => (plot.unit === "ms" ? v.toFixed(v < 1 ? 3 : 2) : v.toFixed(2));
  const dash = s.ascii ? "-" : "–";
  const labels = counts.map((_, i) => `${fmt(low + i * size)}${dash}${fmt(low + (i + 1) * size)} ${plot.unit}`);
  if (tail > 0) labels.push(`> ${fmt(high)} ${plot.unit}`);
  const all = tail > 0 ? [...counts, tail] : counts;
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const countWidth = String(Math.max(...all)).length;
  const room = Math.max(5, s.width - labelWidth - countWidth - 3);
  const max = Math.max(1, ...all);
  const bar = (n: number) => {
    const cells = (n / max) * room;
    if (s.ascii) {
      const full = Math.floor(cells);
      return "#".repeat(full) + (cells - full >= 0.5 ? "+" : "");
    }
    // In eighths of a cell, rounded once: a remainder of 15/16 or more is a whole cell, not a ninth eighth.
    const eighths = Math.round(cells * 8);
    return "█".repeat(Math.floor(eighths / 8)) + ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]!;
  };
  const out = [truncateEnd(plot.title, s.width)];
  all.forEach((n, i) => out.push(`${labels[i]!.padStart(labelWidth)} ${String(n).padStart(countWidth)} ${bar(n)}`));
  const summary =
    `n ${d.n} · p50 ${fmt(weightedQuantile(d, 0.5))} · p99 ${fmt(weightedQuantile(d, 0.99))} · ` +
    `max ${fmt(d.values[d.values.length - 1]!)} ${plot.unit}`;
  out.push(dim(truncateEnd(summary + (plot.reference ? ` · ${plot.reference.label}` : ""), s.width)));
  return out;
}

/** One value per trial as a sparkline, with the band drawn as the lines it must stay between. */
function series(plot: Extract<PlotData, { kind: "series" }>, s: PlotStyle): string[] {
  const ok = s.ok ?? id;
  const bad = s.bad ?? id;
  const dim = s.dim ?? id;
  const { low, high } = plot.band;
  const values = plot.values;
  if (values.length === 0) return [plot.title, dim("(no values)")];
  const top = Math.max(high, ...values);
  const bottom = Math.min(low, ...values);
  const rows = 7;
  const cols = Math.min(values.length, Math.max(10, s.width - 12));
  // More trials than columns: each column the largest deviation among its trials.
  const perCol = Math.ceil(values.length / cols);
  const shown: number[] = [];
  for (let i = 0; i < values.length; i += perCol) {
    const group = values.slice(i, i + perCol);
    shown.push(group.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), group[0]!));
  }
  const level = (v: number) => Math.round(((v - bottom) / Math.max(1e-12, top - bottom)) * (rows - 1));
  const lines: string[] = [];
  for (let r = rows - 1; r >= 0; r--) {
    const bandRow = r === level(high) || r === level(low);
    // A band row is labelled with the band's own value; the others with the value at their height.
    const yValue = r === level(high) ? high : r === level(low) ? low : bottom + (r / (rows - 1)) * (top - bottom);
    const label = `${yValue >= 0 ? "+" : ""}${yValue.toFixed(2)}${plot.unit}`.padStart(9);
    const cells = shown.map((v) => {
      if (level(v) === r) return v > high || v < low ? bad(s.ascii ? "x" : "●") : ok(s.ascii ? "o" : "●");
      return bandRow ? dim(s.ascii ? "-" : "┄") : " ";
    });
    lines.push(`${label} ${cells.join("")}`);
  }
  const outside = values.filter((v) => v > high || v < low).length;
  const perColumn = perCol > 1 ? ` (${perCol} per column, the largest shown)` : "";
  const band = `${s.ascii ? "-" : "┄"} ${plot.band.label}`;
  return [
    truncateEnd(plot.title, s.width),
    ...lines,
    dim(truncateEnd(`${values.length} trials${perColumn}; ${band}; ${outside} outside it`, s.width)),
  ];
}

/** One lane per holder, ━ while it holds; where two lanes overlap, the overlap row shows it. */
function spans(plot: Extract<PlotData, { kind: "spans" }>, s: PlotStyle): string[] {
  const bad = s.bad ?? id;
  const dim = s.dim ?? id;
  const label = Math.max(...plot.lanes.map((l) => displayWidth(l.label)), 7) + 1;
  const cols = Math.max(10, s.width - label - 1);
  const span = Math.max(1, plot.to - plot.from);
  const col = (at: number) => Math.min(cols - 1, Math.max(0, Math.floor(((at - plot.from) / span) * cols)));
  const held = plot.lanes.map((lane) => {
    const cells = new Array<boolean>(cols).fill(false);
    for (const sp of lane.spans) for (let i = col(sp.from); i <= col(Math.max(sp.from, sp.to)); i++) cells[i] = true;
    return cells;
  });
  const out = [truncateEnd(plot.title, s.width)];
  plot.lanes.forEach((lane, k) => {
    const cells = held[k]!.map((h) => (h ? (s.ascii ? "=" : "━") : dim(s.ascii ? "." : "·"))).join("");
    out.push(`${padEnd(truncateEnd(lane.label, label - 1), label)}${cells}`);
  });
  const both = Array.from({ length: cols }, (_, i) => held.filter((h) => h[i]).length > 1);
  out.push(`${padEnd("2 hold", label)}${both.map((b) => (b ? bad(s.ascii ? "X" : "▲") : " ")).join("")}`);
  out.push(dim(truncateEnd(`${formatMs(span)} left to right, each column ${formatMs(span / cols)}`, s.width)));
  return out;
}

/** Labelled counts as horizontal bars. */
function bars(plot: Extract<PlotData, { kind: "bars" }>, s: PlotStyle): string[] {
  const label = Math.max(...plot.bars.map((b) => displayWidth(b.label)));
  const countWidth = Math.max(...plot.bars.map((b) => String(b.value).length));
  const room = Math.max(5, s.width - label - countWidth - 2);
  const max = Math.max(1, ...plot.bars.map((b) => b.value));
  const out = [truncateEnd(plot.title, s.width)];
  for (const b of plot.bars) {
    const n = Math.round((b.value / max) * room);
    const bar = (s.ascii ? "#" : "█").repeat(b.value > 0 ? Math.max(1, n) : 0);
    out.push(`${padEnd(b.label, label)} ${String(b.value).padStart(countWidth)} ${bar}`);
  }
  return out;
}
