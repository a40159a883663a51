/**
 * The tour end to end, in a real pseudo-terminal (tmux) against a throwaway redis-server: the menu, a walkthrough
 * step by step (each command held until Enter), the sandbox, a parameter change, Ctrl-C, and no keys left behind;
 * plus the refusals where nobody can answer a prompt.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { testPrefix, useRedisClient } from "../helpers/redis.js";
import { TmuxCli, hasTmux } from "../helpers/tmux.js";

const { server, redis } = useRedisClient();

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis().scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

const sessions: TmuxCli[] = [];
function tour(args: string[], env: Record<string, string> = {}): TmuxCli {
  const session = TmuxCli.start(args, env);
  sessions.push(session);
  return session;
}
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
});

describe.skipIf(!hasTmux())("tour in a terminal", () => {
  it("steps through a walkthrough, runs the sandbox, changes a parameter; Ctrl-C leaves no key behind", async () => {
    const prefix = testPrefix("tour");
    const counter = `${prefix}:lock:no-lock:{order-456}:counter`;
    const t = tour(["--url", server().url, "--prefix", prefix, "tour", "lock/no-lock"]);
    await t.waitFor("Step 1/2 · 10 rounds: all 3 workers GET the counter");
    await t.waitFor("Run the whole step");
    t.send("Enter"); // step through

    // Each command is shown and held until Enter. The worker connections' first commands come first: let them
    // through one by one until the SET of the counter is the one held; the counter does not exist before it is sent.
    await t.waitFor("next ▸");
    for (let i = 0; i < 8 && !t.screen().includes(`next ▸ SET ${counter} 0`); i++) {
      const shown = t.count("next ▸");
      t.send("Enter");
      await t.waitFor("next ▸", { count: shown + 1 });
    }
    await t.waitFor(`next ▸ SET ${counter} 0`);
    expect(await redis().exists(counter)).toBe(0);
    const replies = t.count("→ OK");
    t.send("Enter");
    await t.waitFor("→ OK", { count: replies + 1 });
    expect(await redis().get(counter)).toBe("0");
    t.type("a"); // the rest of the step without stopping
    await t.waitFor("Step 2/2 · Verdict");
    await t.waitFor("Run the whole step");

    // The sandbox: step, run, skip, repeat, back, params, sandbox, menu.
    t.send("Down", "Down", "Down", "Down", "Down", "Down", "Enter");
    await t.waitFor(`every key name is placed under ${prefix}:`);
    t.type(`SET greeting "hello world"`);
    await t.waitFor(`SET ${prefix}:greeting "hello world"  → OK`);
    expect(await redis().get(`${prefix}:greeting`)).toBe("hello world");
    t.type("FLUSHALL");
    await t.waitFor("FLUSHALL is refused in the sandbox: it deletes every key in every database");
    t.type("KEYS *");
    await t.waitFor("KEYS is refused in the sandbox");
    expect(await redis().dbsize()).toBe(3); // the two keys and the run's marker (<prefix>:rp-run)
    t.send("Enter"); // an empty line leaves the sandbox
    await t.waitFor("Run the whole step");

    // Change a parameter: validated as --workers is, then the walkthrough starts over with it.
    t.send("Down", "Down", "Down", "Down", "Down", "Enter");
    await t.waitFor("Change which parameter?");
    t.send("Down", "Enter");
    await t.waitFor("? --workers");
    t.type("0");
    await t.waitFor("--workers must be between 2 and 50, not 0");
    t.send("BSpace");
    t.type("4");
    // The parameter menu again, drawn with the new value: "--workers 4" alone also matches the typed echo before its
    // Enter is read, and an Enter sent then can be lost between the two prompts.
    await t.waitFor("✔ --workers 4");
    await t.waitFor("❯ Done: run with these");
    t.send("Enter"); // Done
    await t.waitFor("deleted the 2 keys of the previous run");
    await t.waitFor("Step 1/2 · 10 rounds: all 4 workers GET the counter");
    expect(await redis().exists(`${prefix}:greeting`, counter)).toBe(0);

    // Ctrl-C in the middle of a step (a command held at its prompt): keys cleaned, exit 130.
    await t.waitFor("Run the whole step");
    const held = t.count("next ▸");
    t.send("Enter");
    await t.waitFor("next ▸", { count: held + 1 });
    t.send("C-c");
    expect(await t.exitCode()).toBe(130);
    expect(t.screen()).toContain(`Cleanup  deleted`);
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("Ctrl-C while a long step runs (no prompt open: the signal) stops it and cleans up", async () => {
    const prefix = testPrefix("tour");
    const counter = `${prefix}:lock:no-lock:{order-456}:counter`;
    const t = tour(["--url", server().url, "--prefix", prefix, "tour", "lock/no-lock"]);
    await t.waitFor("Run the whole step");
    // step, run, skip, params
    t.send("Down", "Down", "Down", "Enter");
    await t.waitFor("Change which parameter?");
    t.send("Down", "Down", "Enter");
    await t.waitFor("? --increments");
    t.type("10000"); // the most --increments takes: a step of some seconds
    await t.waitFor("✔ --increments 10000");
    await t.waitFor("❯ Done: run with these");
    t.send("Enter");
    await t.waitFor("all 3 workers GET the counter");
    await t.waitFor("Run the whole step");
    t.send("Down", "Enter");
    // Wait until the step is writing, then interrupt it mid-way.
    const deadline = Date.now() + 15_000;
    while (Number((await redis().get(counter)) ?? 0) < 10 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(Number(await redis().get(counter))).toBeGreaterThanOrEqual(10);
    t.send("C-c");
    expect(await t.exitCode()).toBe(130);
    expect(t.screen()).toContain("interrupted: cleaning up the run's keys");
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("Ctrl-C at the prompt between two steps cleans up the first step's keys", async () => {
    const prefix = testPrefix("tour");
    // Keys exist from the first step on; the second step's prompt is where Ctrl-C arrives.
    const t = tour(["--url", server().url, "--prefix", prefix, "tour", "lock/no-lock"]);
    await t.waitFor("Run the whole step");
    t.send("Down", "Enter");
    await t.waitFor("Step 2/2 · Verdict");
    expect((await keysUnder(prefix)).length).toBeGreaterThan(0);
    t.send("C-c");
    expect(await t.exitCode()).toBe(130);
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("the sandbox: ↑ recalls, Tab completes commands and this session's keys, HELP, a long reply pages", async () => {
    const prefix = testPrefix("tour");
    const t = TmuxCli.start(["--url", server().url, "--prefix", prefix, "tour"], {}, { columns: 120, rows: 30 });
    sessions.push(t);
    await t.waitFor("Choose a walkthrough");
    t.send("Up", "Up", "Enter"); // the list wraps: Leave, then Sandbox
    await t.waitFor("Tab: complete a command or key");
    // Each line typed once its prompt is up (keys sent earlier could reach the previous reader).
    let prompts = 0;
    const prompt = () => t.waitFor(`${prefix}> `, { count: ++prompts });
    await prompt();
    t.type(`SET greeting "hello world"`);
    await t.waitFor(`SET ${prefix}:greeting "hello world"  → OK`);
    // Tab completes a command name, then a key this session named (without the prefix).
    await prompt();
    t.send("P", "I", "N", "Tab");
    await t.waitFor(`${prefix}> PING`);
    t.send("Enter");
    await t.waitFor("PING  → PONG");
    await prompt();
    t.send("G", "E", "T", "Space", "g", "r", "e", "Tab");
    await t.waitFor(`${prefix}> GET greeting`);
    t.send("Enter");
    await t.waitFor(`GET ${prefix}:greeting  → "hello world"`);
    // ↑ recalls the last command.
    await prompt();
    t.send("Up", "Enter");
    await t.waitFor(`GET ${prefix}:greeting  → "hello world"`, { count: 2 });
    // HELP <command>, from COMMAND DOCS (this server is Redis 7).
    await prompt();
    t.type("HELP SET");
    await t.waitFor(/SET key value .*\[NX \| XX\]/);
    await t.waitFor("Set the string value of a key");
    // INFO is more than a screen: the whole reply, a page at a time; q stops and says how much was left.
    await prompt();
    t.type("INFO");
    await t.waitFor("the whole reply (");
    await t.waitFor("--More--");
    expect(t.screen()).toContain("# Server");
    t.send("Enter");
    await t.waitFor("--More--", { count: 2 });
    t.type("q");
    await t.waitFor(/stopped: \d+ more lines not shown/);
    await prompt();
    // An empty line leaves; a second visit still has the history.
    t.send("Enter");
    await t.waitFor("Choose a walkthrough", { count: 2 });
    t.send("Up", "Up", "Enter");
    await t.waitFor("Tab: complete a command or key", { count: 2 });
    await prompt();
    t.send("Up");
    await t.waitFor(`${prefix}> INFO`, { count: 2 });
    t.send("Up", "Enter"); // INFO, then HELP SET
    await t.waitFor("Set the string value of a key", { count: 2 });
    t.send("C-c");
    expect(await t.exitCode()).toBe(130);
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("redis-patterns alone opens the menu; leaving it exits 0", async () => {
    const t = tour([], { REDIS_URL: server().url });
    await t.waitFor("Choose a walkthrough");
    await t.waitFor("ratelimit/fixed-window ⚠");
    t.send("Up", "Enter"); // the list wraps: the last entry is "Leave the tour"
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toMatch(/Cleanup {2}deleted 0 keys under rp:[0-9a-f]{8}/);
  });

  it("jumps from a walkthrough to the pitfall demonstrations", async () => {
    const t = tour(["--url", server().url, "tour", "lock/fencing"]);
    await t.waitFor("Run the whole step");
    // step, run, skip, params, sandbox, pitfalls, menu: the list wraps, so Up twice is "Skip to the pitfall
    // demonstrations".
    t.send("Up", "Up", "Enter");
    await t.waitFor("Which pitfall?");
    for (const line of [
      "lock/simple  the lock expires while its holder still works",
      "lock/no-lock  read-modify-write without a lock loses increments",
    ]) {
      await t.waitFor(line);
    }
    t.send("Down", "Enter");
    await t.waitFor("⚠ pitfall: read-modify-write without a lock loses increments");
    await t.waitFor("Run the whole step");
    t.send("C-c");
    expect(await t.exitCode()).toBe(130);
  });

  it("goes back and repeats a step by replaying the steps before it", async () => {
    const prefix = testPrefix("tour");
    const t = tour(["--url", server().url, "--prefix", prefix, "tour", "session/string"]);
    await t.waitFor("Run the whole step");
    t.send("Down", "Enter"); // run step 1 as a whole
    await t.waitFor("Step 2/4 · Requests");
    await t.waitFor("Run the whole step");
    t.send("Down", "Enter"); // run step 2
    await t.waitFor("Step 3/4 · Logout");
    await t.waitFor("Back to the previous step");
    // step, run, skip, repeat, back: starts over with fresh keys, replays step 1, stops before step 2.
    t.send("Down", "Down", "Down", "Down", "Enter");
    await t.waitFor("deleted the");
    await t.waitFor(/↺ 1 ▸ Login: .*\(replayed: \d+ commands?\)/);
    await t.waitFor("Step 2/4 · Requests", { count: 2 });
    await t.waitFor("Repeat the previous step");
    // step, run, skip, repeat: starts over, runs step 1 again in full, then asks about step 2.
    const logins = t.count(/1 ▸ Login: .* commands?, /);
    t.send("Down", "Down", "Down", "Enter");
    await t.waitFor(/1 ▸ Login: .* commands?, /, { count: logins + 1 });
    await t.waitFor("Step 2/4 · Requests", { count: 3 });
    expect((await keysUnder(prefix)).length).toBeGreaterThan(0);
    await t.waitFor("Run the whole step");
    t.send("C-c");
    expect(await t.exitCode()).toBe(130);
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it.each([
    [["tour", "--no-input"], {}, "--no-input"],
    [["tour"], { CI: "true" }, "CI is set"],
    [["--json", "tour"], {}, "--json"],
  ])("refuses on a terminal too: %j %j (exit 2)", async (args, env, reason) => {
    const t = tour(["--url", server().url, ...args], env);
    expect(await t.exitCode(10_000)).toBe(2);
    expect(t.screen()).toContain(`tour is interactive and cannot run here (${reason})`);
  });
});

describe("tour without a terminal", () => {
  it("refuses at once with one line and exit 2", async () => {
    const result = await runCli(["--url", server().url, "tour"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      "redis-patterns: tour is interactive and cannot run here (stdin is not a terminal): " +
        "run a pattern command instead, e.g. redis-patterns ratelimit, or smoke for all of them",
    ]);
    expect(result.stdout).toBe("");
  });

  it("an unknown pattern is a usage error", async () => {
    const result = await runCli(["--url", server().url, "tour", "nosuch"], { env: {} });
    expect(result.code).toBe(2);
  });

  it("redis-patterns alone, not on a terminal, prints the help and exits 2", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage: redis-patterns");
  });
});
