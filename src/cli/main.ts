import { CommanderError } from "commander";
import { ExitCode, RedisPatternsError, exitCodeOf, wasReported } from "../errors.js";
import { lazyHandlers } from "./handlers.js";
import { createProgram } from "./program.js";
import { interactiveProblem } from "./tour/interactive.js";
import { writeNotice } from "./notice.js";

/**
 * The entry point: parse, run, and turn whatever was thrown into one line on stderr and an exit code.
 * The only place that decides exit codes (bin/redis-patterns.js calls process.exit with the result).
 */
export async function main(argv: string[] = process.argv): Promise<number> {
  // `redis-patterns … | head`: once the reader is gone, stop writing, but let the run finish and clean up its keys.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
  const program = createProgram(lazyHandlers, argv);
  try {
    if (argv.length <= 2) {
      // On a terminal, a bare `redis-patterns` opens the tour; anywhere else (a pipe, CI) the help, and exit 2.
      if (interactiveProblem({}) !== undefined || process.stdout.isTTY !== true) {
        program.outputHelp({ error: true });
        return ExitCode.usage;
      }
      argv = [...argv, "tour"];
    }
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (with a suggestion for typos).
      const benign = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code);
      if (benign) return ExitCode.ok;
      // With --json every usage error is the same document on stdout, whoever found it (commander or a command).
      if (argv.includes("--json")) writeErrorDocument(err.message.replace(/^error: /, ""), ExitCode.usage);
      return ExitCode.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (argv.includes("--json") && !wasReported(err)) writeErrorDocument(message, exitCodeOf(err));
    if (err instanceof RedisPatternsError) {
      writeNotice(message);
    } else {
      const stack = process.env.DEBUG ? `\n${(err as Error).stack}` : " (set DEBUG=1 for the stack)";
      writeNotice(`internal error: ${message}${stack}`);
    }
    return exitCodeOf(err);
  }
}

/**
 * The document --json prints when there is no run to report (a usage error, a server that cannot be reached):
 * `{ schemaVersion, ok: false, error: { message, exitCode } }`, the same shape as a run report's `error`
 * (docs/json.md).
 */
function writeErrorDocument(message: string, exitCode: number): void {
  process.stdout.write(JSON.stringify({ schemaVersion: 1, ok: false, error: { message, exitCode } }, null, 2) + "\n");
}
