import type { ChalkInstance } from "chalk";
import type { RecordedCommand } from "../../redis/recorder.js";
import { checkFailure, errorFailure } from "../../runner/report.js";
import type { CheckResult, ScenarioResult, TableData } from "../../runner/types.js";
import { formatValueCell } from "../format.js";
import { failureText } from "./failure.js";
import { renderTable } from "./table.js";
import { displayWidth, groupDigits, stripAnsi, truncateEnd, wrapText } from "./text.js";
import type { GlobalOptions, TraceMode } from "../options/common.js";
import { traceLines } from "./trace.js";
import { asciiOnly, outputWidth, type RenderOptions, type Streams } from "./renderer.js";

import type { Spinner } from "./progress.js";

/** `bytesPerIdentifier` → `bytes per identifier`. */
export function metricLabel(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();
}

/** A scenario's explanation cut to its first sentence (a brief run's heading); the whole text when it has one. */
export function firstSentence(text: string): string {
  const end = /[.!?](?=\s+[A-Z])/.exec(text);
  return end ? text.slice(0, end.index + 1) : text;
}

/** `✓ 4/4 checks`, `✗ 1 of 4 checks failed`, `✗ stopped`. */
export function verdictText(result: ScenarioResult): { ok: boolean; text: string } {
  // Not ok when it fails the run (smoke --strict).
  if (result.status === "skipped") return { ok: result.ok, text: "– skipped" };
  if (result.status === "inconclusive") return { ok: result.ok, text: "? inconclusive" };
  const failed = result.checks.filter((ch) => !ch.ok).length;
  const total = result.checks.length;
  if (result.error) return { ok: false, text: `✗ stopped${total ? `, ${total - failed}/${total} checks passed` : ""}` };
  if (failed > 0) return { ok: false, text: `✗ ${failed} of ${total} check${total === 1 ? "" : "s"} failed` };
  return { ok: result.ok, text: `${result.ok ? "✓" : "✗"} ${total}/${total} check${total === 1 ? "" : "s"}` };
}

/**
 * The line-level writing a human renderer does: every line within the width, prose wrapped on words, bullets with a
 * hanging indent, tables, checks with their evidence, metrics, the chapter's figures and the command trace.
 * HumanRenderer (human.ts) builds a run's output from these.
 */
export class HumanWriter {
  protected readonly shownScripts = new Set<string>();
  protected prefix = "";
  /** Every line fits in this many columns. */
  readonly width: number;
  readonly ascii: boolean;

  protected constructor(
    protected readonly opts: GlobalOptions,
    protected readonly streams: Streams,
    protected readonly c: ChalkInstance,
    protected readonly spinner: Spinner | null,
    protected readonly render: RenderOptions,
  ) {
    this.width = outputWidth(opts, streams.stdout, streams.env);
    this.ascii = asciiOnly(opts, streams.env);
  }

  /** One line of output; a line that would still pass the width (it should not) is cut rather than wrapped. */
  protected out(line = "", raw = false): void {
    for (const l of line.split("\n")) {
      const fits = raw || displayWidth(l) <= this.width;
      this.streams.stdout.write((fits ? l : truncateEnd(stripAnsi(l), this.width)) + "\n");
    }
  }

  /** Prose wrapped on word boundaries, each line behind `margin`. */
  protected prose(text: string, margin: number, style: (t: string) => string = (t) => t): void {
    for (const line of wrapText(text, this.width - margin)) this.out(" ".repeat(margin) + style(line));
  }

  /** A bullet (•, ✓, ✗) and its text with a hanging indent: continuation lines start under the text. */
  protected bullet(margin: number, mark: string, text: string, style: (t: string) => string = (t) => t): void {
    const lines = wrapText(text, this.width - margin - displayWidth(mark) - 1);
    lines.forEach((l, i) =>
      this.out(`${" ".repeat(margin)}${i === 0 ? mark : " ".repeat(displayWidth(mark))} ${style(l)}`),
    );
  }

  /** Evidence lines (`evidence: …`), dimmed, each wrapped under its text rather than under `evidence:`. */
  private evidenceLines(lines: readonly string[], margin: number): void {
    const dim = this.c.dim;
    for (const line of lines) this.bullet(margin + 2, dim("evidence:"), line.replace(/^evidence: /, ""), dim);
  }

  protected get quiet(): boolean {
    return this.opts.quiet === true;
  }

  /** The chapter's figure beside the measured one, for each scenario that has some. */
  protected figures(results: readonly ScenarioResult[], margin: number): void {
    const many = results.filter((r) => r.figures.length > 0).length > 1;
    const rows = results.flatMap((r) =>
      r.figures.map((f) => [
        ...(many ? [r.id.split("/").pop() ?? r.id] : []),
        f.what,
        f.chapter,
        f.measured,
        f.agrees === undefined ? "–" : f.agrees ? "✓ agrees" : "✗ differs",
        f.note ?? "",
      ]),
    );
    const columns = [...(many ? ["scenario"] : []), "figure", "chapter", "measured", "", "note"];
    this.table({ columns, rows }, margin);
  }

  /** Metrics as `name value` pairs run together and wrapped (`bytes per identifier 208 · requests 30 · …`). */
  protected metrics(result: ScenarioResult, margin: number, limit = Number.POSITIVE_INFINITY): void {
    const entries = Object.entries(result.metrics);
    const shown = entries.slice(0, limit).map(([k, v]) => `${metricLabel(k)} ${this.c.bold(formatValueCell(v))}`);
    if (entries.length > limit) shown.push(this.c.dim(`+${entries.length - limit} more in --json`));
    const lines: string[] = [];
    let line = "";
    for (const item of shown) {
      const sep = line ? " · " : "";
      if (line && displayWidth(line + sep + item) > this.width - margin) {
        lines.push(line);
        line = item;
      } else line += sep + item;
    }
    if (line) lines.push(line);
    for (const l of lines) this.out(" ".repeat(margin) + l);
  }

  /** The commands as sent (render/trace.ts): summarised by default, every byte with `full`, none with `off`. */
  protected trace(commands: readonly RecordedCommand[], mode: TraceMode): void {
    for (const line of traceLines(commands, mode, this.c, {
      showLua: this.opts.showLua === true,
      shownScripts: this.shownScripts,
      width: this.width,
      prefix: this.prefix,
    }))
      // --trace full: every byte, whatever the width.
      this.out(line, mode === "full");
  }

  /** A check; a failed one with its expected and actual values, and its evidence unless `evidence` is false. */
  protected checkLine(check: CheckResult, margin: number, evidence = true): void {
    const c = this.c;
    if (check.ok) {
      this.bullet(margin, c.green("✓"), `${check.name}${check.detail ? ` — ${check.detail}` : ""}`);
      return;
    }
    const f = failureText(checkFailure("", check), this.prefix);
    const values = [f.expected && `expected ${f.expected}`, f.actual && `actual ${f.actual}`]
      .filter(Boolean)
      .join(", ");
    this.bullet(margin, c.red("✗"), `${check.name}${values ? ` — ${values}` : ""}${f.detail ? ` (${f.detail})` : ""}`);
    if (evidence) this.evidenceLines(f.evidence, margin + 2);
  }

  /**
   * Why a scenario stopped: its error after `label`, where (`in "step" at: command`, at `whereMargin`) unless that
   * is undefined, and its evidence as a failed check's (the step's last commands, with replies) unless `evidence` is
   * false (errorFailure).
   */
  protected stopped(
    result: ScenarioResult,
    margin: number,
    label: string,
    whereMargin: number | undefined,
    evidence = true,
  ): void {
    const c = this.c;
    const failure = errorFailure(result);
    if (!failure) return;
    this.bullet(margin, c.red(label), String(failure.actual));
    const at = result.errorAt;
    if (at && whereMargin !== undefined)
      this.bullet(whereMargin, c.dim("in"), `"${at.step}"${at.command ? ` at: ${at.command}` : ""}`, c.dim);
    if (evidence) this.evidenceLines(failureText(failure, this.prefix).evidence, margin + 2);
  }

  protected table(data: TableData, margin: number, maxRows?: number, oneLine = false): void {
    const lines = renderTable(
      data.columns,
      data.rows.map((row) => row.map((cell) => formatValueCell(cell))),
      {
        width: this.width - margin,
        ascii: this.ascii,
        maxRows,
        oneLine,
        head: (t) => this.c.bold(t),
        dim: (t) => this.c.dim(t),
        moreHint: "--trace full shows every row",
      },
    );
    for (const l of lines) this.out(" ".repeat(margin) + l);
  }
}

/** `[██████░░░░░░░░░░░░░░]  30% 300,000/1,000,000` for the spinner line. */
export function progressBar(done: number, total: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * width);
  const pct = String(Math.floor(fraction * 100)).padStart(3);
  const bar = `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
  return `${bar} ${pct}% ${groupDigits(done)}/${groupDigits(total)}`;
}
