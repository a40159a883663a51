/**
 * Why the tour cannot run here, or undefined when it can: it needs a person at a terminal (stdin and stderr are TTYs,
 * not CI, no --no-input, no --json). Cheap to import: the router uses it to decide what a bare `redis-patterns` does.
 */
export function interactiveProblem(
  opts: { json?: boolean; input?: boolean },
  io: { stdin: { isTTY?: boolean }; stderr: { isTTY?: boolean }; env: NodeJS.ProcessEnv } = {
    stdin: process.stdin,
    stderr: process.stderr,
    env: process.env,
  },
): string | undefined {
  if (opts.json) return "--json";
  if (opts.input === false) return "--no-input";
  if (io.env.CI !== undefined && io.env.CI !== "" && io.env.CI !== "0" && io.env.CI !== "false") return "CI is set";
  if (io.stdin.isTTY !== true) return "stdin is not a terminal";
  if (io.stderr.isTTY !== true) return "stderr is not a terminal";
  return undefined;
}
