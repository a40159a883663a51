import { Chalk, type ChalkInstance } from "chalk";
import Table from "cli-table3";
import type { Target } from "../../redis/connect.js";
import type { RecordedCommand } from "../../redis/recorder.js";
import { statusLine, type RunReport } from "../../runner/report.js";
import type { RunEvent } from "../../runner/runner.js";
import type { CheckResult, ScenarioResult, StepResult, TableData } from "../../runner/types.js";
import { formatMs, formatValueCell } from "../format.js";
import type { GlobalOptions, TraceMode } from "../options/common.js";
import { traceLines } from "./trace.js";
import { colorEnabled, progressEnabled, type Renderer, type RenderOptions, type Streams } from "./index.js";

interface Spinner {
  start(text: string): void;
  update(text: string): void;
  stop(): void;
}

/** Tables, traces and ✓/✗ for a person at a terminal (or a log: colours and spinners switch off by themselves). */
export class HumanRenderer implements Renderer {
  private readonly shownScripts = new Set<string>();
  /** The spinner text of the running step, so a progress event can add its bar to it. */
  private stepText = "";

  private constructor(
    private readonly opts: GlobalOptions,
    private readonly streams: Streams,
    private readonly c: ChalkInstance,
    private readonly spinner: Spinner | null,
    private readonly render: RenderOptions,
  ) {}

  static async create(opts: GlobalOptions, streams: Streams, render: RenderOptions = {}): Promise<HumanRenderer> {
    const c = new Chalk({ level: colorEnabled(opts, streams.stdout, streams.env) ? 1 : 0 });
    const spinner = progressEnabled(opts, streams.stderr, streams.env) ? await oraSpinner(streams.stderr) : null;
    return new HumanRenderer(opts, streams, c, spinner, render);
  }

  private out(line = ""): void {
    this.streams.stdout.write(line + "\n");
  }

  notice(message: string): void {
    this.spinner?.stop();
    this.streams.stderr.write(`redis-patterns: ${message}\n`);
  }

  header(target: Target, prefix: string, keep: boolean): void {
    const c = this.c;
    this.out(
      `${c.bold("Target")}  ${target.url} · ${target.server} ${target.version} · ${target.mode}${target.embedded ? " · throwaway server" : ""}`,
    );
    this.out(
      `${c.bold("Prefix")}  ${prefix}  ${c.dim(keep ? "(--keep: keys stay after the run)" : "(every key the run creates is deleted at the end)")}`,
    );
  }

  event(event: RunEvent): void {
    if (event.type === "step-start") {
      const text = `${event.id} · step ${event.index + 1}/${event.total}: ${event.title}`;
      this.stepText = text;
      this.spinner?.start(text);
    } else if (event.type === "step-progress") {
      this.spinner?.update(
        `${this.stepText}  ${progressBar(event.done, event.total)}${event.label ? ` ${event.label}` : ""}`,
      );
    } else if (event.type === "scenario-end") {
      this.spinner?.stop();
      if (this.render.compact) this.scenarioLine(event.result);
      else this.scenario(event.result);
    }
  }

  stopProgress(): void {
    this.spinner?.stop();
  }

  private scenario(result: ScenarioResult): void {
    const c = this.c;
    this.out();
    this.out(c.bold.cyan(`━━ ${result.id} · ${result.title}`));
    if (result.chapter) this.out(c.dim(`   chapter ${result.chapter}`));
    for (const line of wrap(result.explain, 100)) this.out(`   ${line}`);
    result.steps.forEach((step, i) => this.step(step, i));
    this.outcome(result);
  }

  /** What a scenario ended with: why it stopped, its checks, the chapter's figures, its metrics (the tour shows it after the last step). */
  outcome(result: ScenarioResult): void {
    const c = this.c;
    if (result.skipped) this.out(`\n   ${c.yellow("– skipped:")} ${result.skipped}`);
    if (result.inconclusive) this.out(`\n   ${c.yellow("? inconclusive:")} ${result.inconclusive}`);
    if (result.error) {
      this.out(`\n   ${c.red("✗ stopped:")} ${result.error}`);
      if (result.errorAt)
        this.out(
          c.dim(`     in "${result.errorAt.step}"${result.errorAt.command ? ` at: ${result.errorAt.command}` : ""}`),
        );
    }
    if (result.checks.length > 0) {
      this.out(`\n   ${c.bold("Checks")}`);
      for (const check of result.checks) this.out(`   ${this.checkLine(check)}`);
    }
    if (result.figures.length > 0) {
      this.out(`\n   ${c.bold("The chapter's figures, measured here")}`);
      const rows = result.figures.map((f) => [
        f.what,
        f.chapter,
        f.measured,
        f.agrees === undefined ? "–" : f.agrees ? "✓ agrees" : "✗ differs",
        f.note ?? "",
      ]);
      this.out(indent(this.table({ columns: ["figure", "chapter", "measured", "", "note"], rows }), 3));
    }
    const metrics = Object.entries(result.metrics);
    if (metrics.length > 0) {
      this.out(`\n   ${c.bold("Metrics")}`);
      this.out(
        indent(this.table({ columns: ["metric", "value"], rows: metrics.map(([k, v]) => [k, formatValueCell(v)]) }), 3),
      );
    }
  }

  /** Compact form: `✓ id  12 ms  34 commands`, and under a failure what failed. */
  private scenarioLine(result: ScenarioResult): void {
    const c = this.c;
    const commands = result.steps.reduce((n, st) => n + st.commands.length, 0);
    const mark =
      result.status === "passed"
        ? c.green("✓")
        : result.status === "skipped"
          ? c.yellow("–")
          : result.status === "inconclusive"
            ? c.yellow("?")
            : c.red("✗");
    this.out(
      `${mark} ${result.id.padEnd(36)} ${formatMs(result.ms).padStart(9)}  ${String(commands).padStart(5)} commands`,
    );
    if (result.skipped) this.out(`    ${c.yellow("skipped:")} ${result.skipped}`);
    if (result.inconclusive) this.out(`    ${c.yellow("inconclusive:")} ${result.inconclusive}`);
    for (const fallback of result.fallbacks ?? []) this.out(`    ${c.dim(`fallback: ${fallback}`)}`);
    if (result.error) {
      this.out(`    ${c.red("stopped:")} ${result.error}`);
      if (result.errorAt)
        this.out(
          c.dim(`    in "${result.errorAt.step}"${result.errorAt.command ? ` at: ${result.errorAt.command}` : ""}`),
        );
    }
    for (const check of result.checks.filter((ch) => !ch.ok)) this.out(`    ${this.checkLine(check)}`);
  }

  /** One step as every command prints it: title, narration, trace, notes, tables (the tour shows each as it ends). */
  step(step: StepResult, index: number): void {
    const c = this.c;
    this.out();
    this.out(
      `   ${c.bold(`${index + 1} ▸ ${step.title}`)}  ${c.dim(`${step.commands.length} command${step.commands.length === 1 ? "" : "s"}, ${formatMs(step.ms)}`)}`,
    );
    if (step.say) for (const line of wrap(step.say, 96)) this.out(`     ${c.dim(line)}`);
    this.trace(step.commands, this.opts.trace);
    for (const note of step.notes) this.out(`     ${c.yellow("•")} ${note}`);
    for (const table of step.tables) {
      if (table.title) this.out(`     ${c.bold(table.title)}`);
      this.out(indent(this.table(table), 5));
    }
    if (step.error) this.out(`     ${c.red("✗")} ${step.error}`);
  }

  /** The commands as sent: `full` shows all, `summary` the first and last few, `off` none (render/trace.ts). */
  private trace(commands: readonly RecordedCommand[], mode: TraceMode): void {
    for (const line of traceLines(commands, mode, this.c, {
      showLua: this.opts.showLua === true,
      shownScripts: this.shownScripts,
    }))
      this.out(line);
  }

  private checkLine(check: CheckResult): string {
    const c = this.c;
    if (check.ok) return `${c.green("✓")} ${check.name}${check.detail ? c.dim(` — ${check.detail}`) : ""}`;
    const evidence = [
      "expected" in check ? `expected ${JSON.stringify(check.expected)}` : "",
      "actual" in check ? `actual ${JSON.stringify(check.actual)}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    return `${c.red("✗")} ${check.name}${evidence ? c.red(` — ${evidence}`) : ""}${check.detail ? c.dim(` (${check.detail})`) : ""}`;
  }

  private table(data: TableData): string {
    const table = new Table({
      head: data.columns.map((h) => this.c.bold(h)),
      style: { head: [], border: [], compact: true },
    });
    for (const row of data.rows) table.push(row.map((cell) => formatValueCell(cell)));
    return table.toString();
  }

  finish(report: RunReport): void {
    const c = this.c;
    if (report.summary) {
      this.out();
      if (report.summary.title) this.out(c.bold(report.summary.title));
      this.out(this.table(report.summary));
    }
    this.out();
    const cleanup = report.cleanup;
    if (cleanup.kept) {
      this.out(
        `${c.bold("Kept")} ${cleanup.keys} key name${cleanup.keys === 1 ? "" : "s"} under ${report.prefix}; remove them with: redis-patterns cleanup --prefix ${report.prefix}`,
      );
    } else {
      this.out(
        `${c.bold("Cleanup")}  deleted ${cleanup.deleted} key${cleanup.deleted === 1 ? "" : "s"} under ${report.prefix}${cleanup.error ? c.red(` — failed: ${cleanup.error}`) : ""}`,
      );
      if (this.opts.trace === "full") this.trace(cleanup.commands, "full");
    }
    const scenarios = report.scenarios.length;
    const commands = report.scenarios.reduce((n, s) => n + s.steps.reduce((m, st) => m + st.commands.length, 0), 0);
    const failed = report.scenarios.flatMap((s) => s.checks.filter((ch) => !ch.ok));
    const summary = `${scenarios} scenario${scenarios === 1 ? "" : "s"}, ${commands} commands`;
    const skipped = report.scenarios.filter((s) => s.status === "skipped");
    if (skipped.length > 0) {
      this.out(c.yellow(`Skipped (this server cannot run them):`));
      for (const s of skipped) this.out(`  – ${s.id}: ${s.skipped}`);
    }
    // Counted per scenario, so a run stopped by errors never reads as "0 checks failed".
    const counts = statusLine(report.scenarios);
    const checks = failed.length > 0 ? `, ${failed.length} check${failed.length === 1 ? "" : "s"} failed` : "";
    if (report.interrupted) this.out(c.yellow(`Interrupted (${summary}): ${counts}`));
    else if (report.ok && report.scenarios.every((s) => s.status === "passed"))
      this.out(c.green(`✓ all checks passed (${summary}): ${counts}`));
    else if (report.ok) this.out(c.green(`✓ no failures (${summary}): ${counts}`));
    else this.out(c.red(`✗ not ok (${summary}): ${counts}${checks}`));
  }
}

/** `[██████░░░░░░░░░░░░░░]  30% 300,000/1,000,000` for the spinner line. */
export function progressBar(done: number, total: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * width);
  const pct = String(Math.floor(fraction * 100)).padStart(3);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${pct}% ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}`;
}

function indent(text: string, n: number): string {
  const pad = " ".repeat(n);
  return text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}

async function oraSpinner(stream: NodeJS.WriteStream): Promise<Spinner> {
  const { default: ora } = await import("ora");
  const spinner = ora({ stream, discardStdin: false });
  return {
    start(text) {
      if (spinner.isSpinning) spinner.text = text;
      else spinner.start(text);
    },
    update(text) {
      spinner.text = text;
    },
    stop() {
      if (spinner.isSpinning) spinner.stop();
    },
  };
}
