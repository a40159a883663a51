import type { RunReport } from "../../runner/report.js";
import type { Renderer, Streams } from "./index.js";

/** `--json`: nothing on stdout but the one report at the end; notices still go to stderr. */
export class JsonRenderer implements Renderer {
  constructor(private readonly streams: Streams) {}

  notice(message: string): void {
    this.streams.stderr.write(`redis-patterns: ${message}\n`);
  }

  header(): void {}
  event(): void {}
  stopProgress(): void {}

  finish(report: RunReport): void {
    this.streams.stdout.write(JSON.stringify(report, null, 2) + "\n");
  }
}
