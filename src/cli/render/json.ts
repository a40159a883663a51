import type { RunReport } from "../../runner/report.js";
import type { Renderer, Streams } from "./renderer.js";
import { writeNotice } from "../notice.js";

/** `--json`: nothing on stdout but the one report at the end; notices still go to stderr. */
export class JsonRenderer implements Renderer {
  constructor(private readonly streams: Streams) {}

  notice(message: string): void {
    writeNotice(message, this.streams.stderr);
  }

  header(): void {}
  event(): void {}
  stopProgress(): void {}

  finish(report: RunReport): void {
    this.streams.stdout.write(JSON.stringify(report, null, 2) + "\n");
  }
}
