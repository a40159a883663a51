/**
 * Every command's default run in a real pseudo-terminal (tmux) of 60, 80, 120 and 200 columns: no line may be
 * wider than the terminal. Two independent witnesses: the display width of each line as captured, and tmux's own
 * record of lines it had to wrap (a capture with wrapped lines joined has fewer lines than one without).
 */
import { afterEach, describe, expect, it } from "vitest";
import { displayWidth } from "../../src/cli/render/text.js";
import { useRedisServer } from "../helpers/redis.js";
import { TmuxCli, hasTmux } from "../helpers/tmux.js";

const server = useRedisServer();
const sessions: TmuxCli[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
});

/** Each command's default run (doctor's pings cut down, so the file stays quick under load). */
const RUNS: Record<string, string[]> = {
  ratelimit: ["ratelimit"],
  cache: ["cache"],
  session: ["session"],
  hll: ["hll"],
  leaderboard: ["leaderboard"],
  analytics: ["analytics"],
  lock: ["lock"],
  queue: ["queue"],
  doctor: ["doctor", "--pings", "5"],
  help: ["ratelimit", "--help"],
  list: ["list"],
  bench: ["bench", "queue", "--ops", "2000", "--vs-redis-benchmark"],
};
const WIDTHS = [60, 80, 120, 200];

describe.skipIf(!hasTmux())("human output fits the terminal", () => {
  it.each(Object.entries(RUNS))(
    "%s at 60, 80, 120 and 200 columns",
    async (_name, args) => {
      const runs = WIDTHS.map((columns) => {
        const session = TmuxCli.start([...args, "--url", server().url], {}, { columns, rows: 40 });
        sessions.push(session);
        return { columns, session };
      });
      for (const { columns, session } of runs) {
        await session.exitCode(120_000);
        // Lines on stderr ("redis-patterns: …" notices and errors) are one line each by contract; stdout must fit.
        const all = session.screen(true).trimEnd().split("\n");
        const isStderr = (l: string) => l.startsWith("redis-patterns: ");
        const joined = all.filter((l) => !isStderr(l));
        const raw = session.screen(false).trimEnd().split("\n");
        const wrappedStderr = all
          .filter(isStderr)
          .reduce((n, l) => n + Math.max(0, Math.ceil(displayWidth(l.trimEnd()) / columns) - 1), 0);
        const wide = joined.filter((l) => displayWidth(l.trimEnd()) > columns);
        expect(wide, `lines wider than ${columns} columns`).toEqual([]);
        expect(raw.length - wrappedStderr, `tmux wrapped lines at ${columns} columns`).toBe(all.length);
        // The run did print something and ended with its verdict line.
        expect(joined.length).toBeGreaterThan(3);
      }
    },
    300_000,
  );
});
