import { displayWidth, groupDigits, padEnd, truncateEnd, truncateMiddle, wrapText } from "./text.js";

/** How a table is drawn: its width budget, the box characters, and how many rows it may show. */
export interface TableLayout {
  /** Columns available, the margin already taken off. */
  width: number;
  /** +-| instead of box drawing (--ascii, TERM=dumb). */
  ascii?: boolean;
  /** Show at most this many rows: the first ones, a "… N more rows" line, the last two. */
  maxRows?: number;
  /** Styles the header cells (bold on a colour terminal). */
  head?: (text: string) => string;
  /** Styles the "… N more rows" line. */
  dim?: (text: string) => string;
  /** What the "more rows" line says shows them all. */
  moreHint?: string;
  /** Each cell on one line (cut at its end, `…`) instead of wrapping: the compact tables of a brief run. */
  oneLine?: boolean;
  /** Set on the transposed attempt itself, so it is not transposed back. */
  transposed?: boolean;
}

/** Most rows a too-wide table may have to be tried the other way round (rows as columns) before stacking. */
const MAX_TRANSPOSED_ROWS = 6;

const BOX = { tl: "┌", tm: "┬", tr: "┐", ml: "├", mm: "┼", mr: "┤", bl: "└", bm: "┴", br: "┘", h: "─", v: "│" };
const ASCII = { tl: "+", tm: "+", tr: "+", ml: "+", mm: "+", mr: "+", bl: "+", bm: "+", br: "+", h: "-", v: "|" };

/** Narrowest a column shrinks to before the table turns into stacked blocks. */
function minWidth(header: string, natural: number): number {
  return Math.min(natural, Math.max(6, Math.min(displayWidth(header), 12)));
}

/** Fit a cell into `width` columns: prose wraps (up to 3 lines), a token (a key, a number) loses its middle. */
function fitCell(text: string, width: number, oneLine = false): string[] {
  if (displayWidth(text) <= width) return [text];
  if (oneLine) return [truncateEnd(text, width)];
  if (/\s/.test(text.trim())) {
    const lines = wrapText(text, width);
    if (lines.length <= 3 && lines.every((l) => displayWidth(l) <= width)) return lines;
    const kept = lines.slice(0, 3);
    kept[2] = truncateEnd(kept[2] + " …", width);
    return kept.map((l) => truncateEnd(l, width));
  }
  return [truncateMiddle(text, width)];
}

/**
 * A table that never passes `layout.width` columns. Columns that are empty in every row are dropped; when the
 * natural widths do not fit, the widest columns give up space (prose cells wrap, tokens lose their middle); when
 * even that is too narrow, each row becomes a stacked block of `column: value` lines.
 */
export function renderTable(columns: readonly string[], rows: readonly string[][], layout: TableLayout): string[] {
  const b = layout.ascii ? ASCII : BOX;
  const head = layout.head ?? ((t: string) => t);
  const dim = layout.dim ?? ((t: string) => t);
  // Drop columns with nothing in them (a note column no row uses).
  const keep = columns.map((_, i) => i).filter((i) => rows.length === 0 || rows.some((r) => (r[i] ?? "") !== ""));
  const cols = keep.map((i) => columns[i] ?? "");
  let body = rows.map((r) => keep.map((i) => r[i] ?? ""));
  let omitted = 0;
  let tail: string[][] = [];
  if (layout.maxRows !== undefined && body.length > layout.maxRows && layout.maxRows >= 4) {
    const tailCount = layout.maxRows <= 5 ? 1 : 2;
    const headCount = layout.maxRows - tailCount - 1;
    omitted = body.length - headCount - tailCount;
    tail = body.slice(body.length - tailCount);
    body = body.slice(0, headCount);
  }
  const all = [...body, ...tail];
  const natural = cols.map((h, i) => Math.max(displayWidth(h), ...all.map((r) => displayWidth(r[i]!))));
  const overhead = 3 * cols.length + 1;
  const widths = [...natural];
  const mins = cols.map((h, i) => minWidth(h, natural[i]!));
  let total = widths.reduce((a, w) => a + w, 0) + overhead;
  while (total > layout.width) {
    // Take a column from the widest one that can still give.
    let widest = -1;
    for (let i = 0; i < widths.length; i++)
      if (widths[i]! > mins[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest]! -= 1;
    total -= 1;
  }
  let moreText = `… ${groupDigits(omitted)} more rows${layout.moreHint ? ` (${layout.moreHint})` : ""}`;
  if (total > layout.width) {
    // A few rows of many columns (a comparison of three scenarios over ten metrics) often fit the other way round:
    // one column per row, one row per column. Fewer lines than stacked blocks, and still side by side.
    if (!layout.transposed && omitted === 0 && all.length >= 2 && all.length <= MAX_TRANSPOSED_ROWS) {
      const turned = renderTable(
        [cols[0] ?? "", ...all.map((r) => r[0] ?? "")],
        cols.slice(1).map((h, i) => [h, ...all.map((r) => r[i + 1] ?? "")]),
        { ...layout, maxRows: undefined, transposed: true },
      );
      if (turned[0]?.startsWith(b.tl)) return turned;
    }
    return stacked(cols, body, tail, omitted, layout, moreText);
  }
  // The hint only where the table is wide enough for it.
  if (displayWidth(moreText) > total - 4) moreText = `… ${groupDigits(omitted)} more rows`;
  if (omitted > 0) {
    // Room for the "… N more rows" line: the last column widens, as far as the width allows.
    const grow = Math.min(displayWidth(moreText) + 4, layout.width) - total;
    if (grow > 0) {
      widths[widths.length - 1]! += grow;
      total += grow;
    }
  }

  const line = (l: string, m: string, r: string) => l + widths.map((w) => b.h.repeat(w + 2)).join(m) + r;
  const row = (cells: string[], style: (t: string) => string = (t) => t): string[] => {
    const fitted = cells.map((cell, i) => fitCell(cell, widths[i]!, layout.oneLine));
    const height = Math.max(...fitted.map((f) => f.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) {
      out.push(b.v + fitted.map((f, i) => ` ${padEnd(style(f[k] ?? ""), widths[i]!)} `).join(b.v) + b.v);
    }
    return out;
  };
  const headless = cols.every((h) => h === "");
  const out = [line(b.tl, b.tm, b.tr), ...(headless ? [] : [...row(cols, head), line(b.ml, b.mm, b.mr)])];
  for (const r of body) out.push(...row(r));
  if (omitted > 0) {
    const inner = total - 4;
    out.push(`${b.v} ${padEnd(dim(truncateEnd(moreText, inner)), inner)} ${b.v}`);
    for (const r of tail) out.push(...row(r));
  }
  out.push(line(b.bl, b.bm, b.br));
  return out;
}

/** Too narrow for columns: each row as a block, its first cell as the heading and the rest as `column  value`. */
function stacked(
  cols: string[],
  body: string[][],
  tail: string[][],
  omitted: number,
  layout: TableLayout,
  moreText: string,
): string[] {
  const head = layout.head ?? ((t: string) => t);
  const dim = layout.dim ?? ((t: string) => t);
  const labelWidth = Math.min(Math.max(...cols.slice(1).map((c) => displayWidth(c)), 0), Math.floor(layout.width / 3));
  const valueWidth = Math.max(8, layout.width - labelWidth - 4);
  const block = (r: string[]): string[] => {
    const out = [head(truncateEnd(`${cols[0] ? `${cols[0]}: ` : ""}${r[0] ?? ""}`, layout.width))];
    for (let i = 1; i < cols.length; i++) {
      if ((r[i] ?? "") === "") continue;
      const label = truncateEnd(cols[i] ?? "", labelWidth);
      const lines = fitCell(r[i]!, valueWidth);
      lines.forEach((l, k) => out.push(`  ${padEnd(k === 0 ? label : "", labelWidth)}  ${l}`));
    }
    return out;
  };
  const out: string[] = [];
  for (const r of body) out.push(...block(r));
  if (omitted > 0) {
    out.push(dim(truncateEnd(moreText, layout.width)));
    for (const r of tail) out.push(...block(r));
  }
  return out;
}
