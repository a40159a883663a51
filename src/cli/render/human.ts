import { Chalk } from "chalk";
import type { Target } from "../../redis/connection.js";
import { statusLine, type RunReport } from "../../runner/report.js";
import type { RunEvent } from "../../runner/runner.js";
import type { ScenarioResult, StepResult } from "../../runner/types.js";
import { formatMs } from "../format.js";
import { plotLines } from "./plot.js";
import { displayWidth, padEnd, truncateEnd, truncateMiddle } from "./text.js";
import type { GlobalOptions } from "../options/common.js";
import { briefTraceLine } from "./trace.js";
import { colorEnabled, progressEnabled, type Renderer, type RenderOptions, type Streams } from "./renderer.js";
import { writeNotice } from "../notice.js";
import { firstSentence, HumanWriter, progressBar, verdictText } from "./human-writer.js";
import { delayedSpinner } from "./progress.js";

export { firstSentence, metricLabel, progressBar } from "./human-writer.js";

/** Rows a step's table shows with the default trace (the first, a "… N more rows" line, the last two). */
const SUMMARY_TABLE_ROWS = 8;
/** … and with several scenarios in the run. */
const BRIEF_TABLE_ROWS = 5;
/** Notes a step shows in a run of several scenarios (the first ones: what happened). */
const BRIEF_NOTES = 2;

/** Tables, traces and ✓/✗ for a person at a terminal (or a log: colours and spinners switch off by themselves). */
export class HumanRenderer extends HumanWriter implements Renderer {
  /** The spinner text of the running step, so a progress event can add its bar to it. */
  private stepText = "";
  /** Brief runs: the scenario being printed, its explanation, and the tables shown so far (by content → where). */
  private scenarioId = "";
  private lastExplain: { id: string; text: string } | undefined;
  private lastChapter: string | undefined;
  private readonly shownTables = new Map<string, string>();
  private readonly shownNotes = new Map<string, string>();
  /** Brief runs: the step whose tables are drawn (the scenario's last with any); the others' are named in a line. */
  private tablesAt: number | undefined;
  /** … and of that step's tables, those from this one on (its last: the tally the scenario ends with). */
  private tablesFrom = 0;

  static async create(opts: GlobalOptions, streams: Streams, render: RenderOptions = {}): Promise<HumanRenderer> {
    const c = new Chalk({ level: colorEnabled(opts, streams.stdout, streams.env) ? 1 : 0 });
    const spinner = progressEnabled(opts, streams.stderr, streams.env) ? delayedSpinner(streams.stderr) : null;
    return new HumanRenderer(opts, streams, c, spinner, render);
  }

  notice(message: string): void {
    this.spinner?.stop();
    writeNotice(message, this.streams.stderr);
  }

  header(target: Target, prefix: string, keep: boolean): void {
    this.prefix = prefix;
    if (this.quiet) return;
    const c = this.c;
    this.bullet(
      0,
      c.bold("Target "),
      `${target.url} · ${target.server} ${target.version} · ${target.mode}` +
        (target.embedded ? " · throwaway server" : ""),
    );
    this.bullet(
      0,
      c.bold("Prefix "),
      `${prefix}  ${keep ? "(--keep: keys stay after the run)" : "(every key the run creates is deleted at the end)"}`,
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
      if (this.quiet) return;
      if (this.render.compact) this.scenarioLine(event.result);
      else this.scenario(event.result);
    }
  }

  stopProgress(): void {
    this.spinner?.stop();
  }

  /** A scenario, verdict first: its heading carries the checks' outcome; steps follow; details close the run. */
  private scenario(result: ScenarioResult): void {
    const c = this.c;
    const verdict = verdictText(result);
    this.out();
    const title = `━━ ${result.id} · ${result.title}`;
    const room = this.width - displayWidth(verdict.text) - 2;
    const head = displayWidth(title) <= room ? title : truncateEnd(title, Math.max(10, room));
    this.out(`${c.bold.cyan(head)}  ${verdict.ok ? c.green(verdict.text) : c.red(verdict.text)}`);
    // The chapter once for a run of its variants; each scenario of another chapter names it.
    if (result.chapter && !(this.brief && this.lastChapter === result.chapter))
      this.out(c.dim(`   chapter ${result.chapter}`));
    this.lastChapter = result.chapter;
    // Variants of one setting (primary/none, primary/rdb…) share their explanation: told once per run.
    if (this.brief && this.lastExplain?.text === result.explain)
      this.out(c.dim(`   (explained under ${this.lastExplain.id} above)`));
    else this.prose(this.brief ? firstSentence(result.explain) : result.explain, 3);
    this.lastExplain = { id: result.id, text: result.explain };
    this.scenarioId = result.id;
    this.tablesAt = this.render.comparison
      ? -1
      : result.steps.reduce((at, st, i) => (st.tables.length > 0 ? i : at), -1);
    this.tablesFrom = this.tablesAt < 0 ? 0 : result.steps[this.tablesAt]!.tables.length - 1;
    result.steps.forEach((step, i) => {
      // A teardown (connections closed, a table dropped) is bookkeeping: --trace full shows it.
      const quiet = step.title === "Teardown" && !step.tables.length && !step.error;
      if (!(this.brief && quiet)) this.step(step, i);
    });
    this.tablesAt = undefined;
    this.stopped(result, 3, "✗ stopped:", undefined);
    const failed = result.checks.filter((ch) => !ch.ok);
    if (failed.length > 0) {
      this.out();
      for (const check of failed) this.checkLine(check, 3);
    }
  }

  /**
   * What a scenario ended with: why it stopped, its checks, the chapter's figures, its metrics (the tour shows it
   * after the last step).
   */
  outcome(result: ScenarioResult): void {
    const c = this.c;
    if (result.skipped) {
      this.out();
      this.bullet(3, c.yellow("– skipped:"), result.skipped);
    }
    if (result.inconclusive) {
      this.out();
      this.bullet(3, c.yellow("? inconclusive:"), result.inconclusive);
    }
    if (result.error) {
      this.out();
      this.stopped(result, 3, "✗ stopped:", 5);
    }
    if (result.checks.length > 0) {
      this.out(`\n   ${c.bold("Checks")}`);
      for (const check of result.checks) this.checkLine(check, 3);
    }
    if (result.figures.length > 0) {
      this.out(`\n   ${c.bold("The chapter's figures, measured here")}`);
      this.figures([result], 3);
    }
    if (Object.keys(result.metrics).length > 0) {
      this.out(`\n   ${c.bold("Metrics")}`);
      this.metrics(result, 3);
    }
  }

  /** Compact form: `✓ id  12 ms  34 commands`, and under a failure what failed. */
  private scenarioLine(result: ScenarioResult): void {
    const c = this.c;
    const commands = result.steps.reduce((n, st) => n + st.commands.length, 0);
    // Skipped and inconclusive keep their mark; red when they fail the run (smoke --strict).
    const notRun = result.ok ? c.yellow : c.red;
    const mark =
      result.status === "passed"
        ? c.green("✓")
        : result.status === "skipped"
          ? notRun("–")
          : result.status === "inconclusive"
            ? notRun("?")
            : c.red("✗");
    const stats = `${formatMs(result.ms).padStart(9)}  ${String(commands).padStart(5)} commands`;
    const idRoom = Math.max(12, Math.min(36, this.width - 3 - displayWidth(stats)));
    this.out(`${mark} ${padEnd(truncateMiddle(result.id, idRoom), idRoom)} ${stats}`);
    if (result.skipped) this.bullet(4, c.yellow("skipped:"), result.skipped);
    if (result.inconclusive) this.bullet(4, c.yellow("inconclusive:"), result.inconclusive);
    for (const fallback of result.fallbacks ?? []) this.bullet(4, c.dim("fallback:"), fallback, c.dim);
    this.stopped(result, 4, "stopped:", 4);
    for (const check of result.checks.filter((ch) => !ch.ok)) this.checkLine(check, 4);
  }

  /**
   * With several scenarios and the default trace, each step is brief: its title, its commands by kind on one line,
   * its notes and short tables (no narration); `--trace full` or one scenario shows every step whole.
   */
  private get brief(): boolean {
    return this.opts.trace === "summary" && (this.render.scenarios ?? 1) > 1;
  }

  /** One step as every command prints it: title, narration, trace, notes, tables (the tour shows each as it ends). */
  step(step: StepResult, index: number): void {
    const c = this.c;
    if (!this.brief) this.out();
    const stats = `${step.commands.length} command${step.commands.length === 1 ? "" : "s"}, ${formatMs(step.ms)}`;
    const title = `${index + 1} ▸ ${step.title}`;
    const fits = displayWidth(title) + 2 + stats.length <= this.width - 3;
    if (fits) this.out(`   ${c.bold(title)}  ${c.dim(stats)}`);
    else this.bullet(3, c.bold(`${index + 1} ▸`), step.title, c.bold);
    if (this.brief) {
      // A title too long for its figures leaves them to the end of the trace line.
      const room = fits ? this.width : this.width - stats.length - 2;
      const line = briefTraceLine(step.commands, c, { width: room, prefix: this.prefix });
      if (line) this.out(fits ? line : `${line}  ${c.dim(stats)}`);
      else if (!fits) this.out(`     ${c.dim(stats)}`);
    } else {
      if (!fits) this.out(`     ${c.dim(stats)}`);
      if (step.say) this.prose(step.say, 5, c.dim);
      this.trace(step.commands, this.opts.trace);
    }
    // A brief run keeps each step's first notes (what happened); the rest (why, what else) are counted.
    // Notes the run has printed already, word for word (the same crash in each queue variant), are pointed to.
    const fresh = this.brief ? step.notes.filter((n) => !this.shownNotes.has(n)) : step.notes;
    const repeated = step.notes.length - fresh.length;
    const notes = this.brief ? fresh.slice(0, BRIEF_NOTES) : fresh;
    for (const note of notes) {
      this.bullet(5, c.yellow("•"), note);
      if (this.brief) this.shownNotes.set(note, `${this.scenarioId} step ${index + 1}`);
    }
    // What a brief step leaves out, on one line: notes told already or beyond the first, tables not drawn.
    const asides: string[] = [];
    if (repeated > 0) {
      const where = this.shownNotes.get(step.notes.find((n) => !fresh.includes(n))!)!;
      asides.push(`${repeated === 1 ? "a note" : `${repeated} notes`} as under ${where}`);
    }
    if (notes.length < fresh.length) {
      const more = fresh.length - notes.length;
      asides.push(`${more} more note${more === 1 ? "" : "s"}`);
    }
    // A brief run draws one table per scenario (its last: the tally), none when a comparison closes the run; the
    // others, and tables shown already cell for cell (the same setup in each variant), are named on one line.
    const named: string[] = [];
    for (const [t, table] of step.tables.entries()) {
      const key = JSON.stringify([table.title, table.columns, table.rows]);
      const where = this.brief ? this.shownTables.get(key) : undefined;
      const drawn = index === this.tablesAt && t >= this.tablesFrom;
      if (where || (this.brief && this.tablesAt !== undefined && !drawn)) {
        const size = `${table.rows.length} row${table.rows.length === 1 ? "" : "s"}`;
        named.push(`${table.title ?? "a table"} (${where ? `the same as under ${where}` : size})`);
        continue;
      }
      if (this.brief) this.shownTables.set(key, `${this.scenarioId} step ${index + 1}`);
      if (table.title) this.prose(table.title, 5, c.bold);
      this.table(
        table,
        5,
        this.opts.trace === "full" ? undefined : this.brief ? BRIEF_TABLE_ROWS : SUMMARY_TABLE_ROWS,
        this.brief,
      );
    }
    asides.push(...named);
    if (asides.length > 0) {
      const onlyRepeated = asides.length === 1 && repeated > 0;
      const shows = onlyRepeated ? "" : `: --trace full shows ${asides.length === 1 ? "it" : "them"}`;
      this.bullet(5, c.dim("•"), `${asides.join("; ")}${shows}`, c.dim);
    }
    for (const plot of step.plots ?? []) {
      if (!this.brief) this.out();
      for (const line of plotLines(plot, {
        width: this.width - 5,
        ascii: this.ascii,
        ok: (t) => c.green(t),
        bad: (t) => c.red(t),
        dim: (t) => c.dim(t),
      }))
        this.out(`     ${line}`);
    }
    if (step.error) this.bullet(5, c.red("✗"), step.error);
  }

  /**
   * The closing summary, one screen: each scenario's verdict with its key metrics (every check and metric when
   * there is one scenario), the chapter's figures beside the measurements, the run's own summary table, cleanup.
   */
  finish(report: RunReport): void {
    const c = this.c;
    const results = report.scenarios;
    if (results.length > 0 && !this.render.compact) {
      this.out();
      const label = "━━ Summary ";
      this.out(c.bold(label + "━".repeat(Math.max(0, Math.min(this.width, 100) - label.length))));
      if (results.length === 1) {
        const r = results[0]!;
        const v = verdictText(r);
        this.out(`${v.ok ? c.green(v.text) : c.red(v.text)}  ${c.bold(r.id)}`);
        this.stopped(r, 3, "✗ stopped:", undefined, false);
        for (const check of r.checks) this.checkLine(check, 3, false);
        this.metrics(r, 3);
      } else {
        const idWidth = Math.min(Math.max(...results.map((r) => displayWidth(r.id))), Math.floor(this.width / 2));
        for (const r of results) {
          const v = verdictText(r);
          this.out(
            `${v.ok ? c.green(v.text.slice(0, 1)) : c.red(v.text.slice(0, 1))} ` +
              `${padEnd(truncateMiddle(r.id, idWidth), idWidth)}  ${c.dim(v.text.slice(2))}`,
          );
          this.stopped(r, 4, "stopped:", undefined, false);
          // Failed checks in full; passed ones are counted in the verdict line, and listed with their evidence by
          // the scenario's own run (--variant), --trace full and --json.
          for (const check of r.checks.filter((ch) => !ch.ok || !this.brief)) this.checkLine(check, 4, false);
          this.metrics(r, 4, 4);
        }
      }
      if (results.some((r) => r.figures.length > 0)) {
        this.out(c.bold("The chapter's figures, measured here"));
        this.figures(results, 0);
      }
    }
    if (report.summary) {
      this.out();
      if (report.summary.title) this.prose(report.summary.title, 0, c.bold);
      this.table(report.summary, 0);
    }
    this.out();
    const cleanup = report.cleanup;
    if (cleanup.kept) {
      this.bullet(
        0,
        c.bold("Kept"),
        `${cleanup.keys} key name${cleanup.keys === 1 ? "" : "s"} under ${report.prefix}; ` +
          `remove them with: redis-patterns cleanup --prefix ${report.prefix}`,
      );
    } else {
      this.bullet(
        0,
        c.bold("Cleanup "),
        `deleted ${cleanup.deleted} key${cleanup.deleted === 1 ? "" : "s"} under ${report.prefix}` +
          (cleanup.error ? ` — failed: ${cleanup.error}` : ""),
      );
      if (this.opts.trace === "full") this.trace(cleanup.commands, "full");
    }
    const scenarios = report.scenarios.length;
    const commands = report.scenarios.reduce((n, s) => n + s.steps.reduce((m, st) => m + st.commands.length, 0), 0);
    const failed = report.scenarios.flatMap((s) => s.checks.filter((ch) => !ch.ok));
    const summary = `${scenarios} scenario${scenarios === 1 ? "" : "s"}, ${commands} commands`;
    const skipped = report.scenarios.filter((s) => s.status === "skipped");
    const inconclusive = report.scenarios.filter((s) => s.status === "inconclusive");
    // Those that fail the run (smoke --strict; a command's own run when skipped) are not ok: listed in red, counted
    // on the last line.
    const strict = [...skipped, ...inconclusive].filter((s) => !s.ok);
    const failing = (list: typeof skipped) => (list.some((s) => !s.ok) ? " — they fail this run" : "");
    if (skipped.length > 0) {
      this.out((failing(skipped) ? c.red : c.yellow)(`Skipped (this server cannot run them)${failing(skipped)}:`));
      for (const s of skipped) this.bullet(2, "–", `${s.id}: ${s.skipped}`);
    }
    if (inconclusive.length > 0) {
      this.out(
        (failing(inconclusive) ? c.red : c.yellow)(
          `Inconclusive (this machine was too slow to show the point)${failing(inconclusive)}:`,
        ),
      );
      for (const s of inconclusive) this.bullet(2, "?", `${s.id}: ${s.inconclusive}`);
    }
    // Counted per scenario, so a run stopped by errors never reads as "0 checks failed".
    const counts = statusLine(report.scenarios);
    const checks =
      (failed.length > 0 ? `, ${failed.length} check${failed.length === 1 ? "" : "s"} failed` : "") +
      (strict.length > 0 ? `; ${strict.length} skipped or inconclusive fail this run` : "");
    // The last line, wrapped (never cut): the verdict of the whole run.
    if (report.interrupted) this.prose(`Interrupted (${summary}): ${counts}`, 0, c.yellow);
    else if (report.ok && report.scenarios.every((s) => s.status === "passed"))
      this.prose(`✓ all checks passed (${summary}): ${counts}`, 0, c.green);
    else if (report.ok) this.prose(`✓ no failures (${summary}): ${counts}`, 0, c.green);
    else this.prose(`✗ not ok (${summary}): ${counts}${checks}`, 0, c.red);
  }
}
