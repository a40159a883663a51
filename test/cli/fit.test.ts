import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { renderTable } from "../../src/cli/render/table.js";
import { displayWidth, elideMiddle, groupDigits, truncateMiddle, wrapText } from "../../src/cli/render/text.js";
import { groupCommands, traceLines } from "../../src/cli/render/trace.js";
import type { RecordedCommand } from "../../src/redis/recorder.js";

const plain = new Chalk({ level: 0 });

describe("groupDigits", () => {
  it("writes numbers as toLocaleString('en-US') does", () => {
    const values = [
      0,
      7,
      -7,
      999,
      1_000,
      -1_000,
      12_345,
      999_999,
      1_000_000,
      2 ** 53 - 1,
      -(2 ** 53) + 1,
      0.5,
      1234.5678,
    ];
    for (let digits = 1; digits <= 16; digits++) values.push(Number("9".repeat(digits)), 10 ** (digits - 1));
    for (const n of values) expect(groupDigits(n), String(n)).toBe(n.toLocaleString("en-US"));
  });
});

describe("display width", () => {
  it("counts columns, not characters: colour codes none, CJK two, box drawing one", () => {
    expect(displayWidth("\u001b[31mred\u001b[39m")).toBe(3);
    expect(displayWidth("日本")).toBe(4);
    expect(displayWidth("┌─┐ ✓ …")).toBe(7);
    // Plain ASCII takes a shortcut (one column each); control characters still take none.
    expect(displayWidth("EVALSHA 490eed10 1 rp:{alice}:tb ~")).toBe(34);
    expect(displayWidth("a\tb\u007f")).toBe(2);
  });

  it("elides the middle and says how many bytes it left out", () => {
    const lua = "x".repeat(1_300);
    const shown = elideMiddle(lua, 40);
    expect(displayWidth(shown)).toBeLessThanOrEqual(40);
    const omitted = Number(/…\(\+([\d,]+) bytes\)…/.exec(shown)![1]!.replace(/,/g, ""));
    expect(shown.replace(/…\(\+[\d,]+ bytes\)…/, "").length + omitted).toBe(1_300);
    const key = truncateMiddle("rp:1a2b3c4d:ratelimit:{alice}:fw:202401151030", 20);
    expect(key).toMatch(/^rp:1a2b3c[^…]*…[^…]*151030$/);
    expect(displayWidth(key)).toBe(20);
  });

  it("wraps prose on word boundaries within the width", () => {
    const text = "Cheapest of the four, but a burst on both sides of a window edge passes twice: 2 × limit.";
    for (const width of [12, 20, 33, 60]) {
      const lines = wrapText(text, width);
      for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(width);
      expect(lines.join(" ")).toBe(text);
    }
  });
});

describe("tables fitted to a width", () => {
  const columns = ["algorithm", "requests", "allowed", "rejected", "max in any window", "note"];
  const rows = [
    ["fixed-window", "30", "20", "10", "20", "the boundary burst lets twice the limit through within one window"],
    ["sliding-log", "30", "10", "20", "10", ""],
  ];

  it.each([40, 60, 80, 120, 200])("never passes %i columns", (width) => {
    const lines = renderTable(columns, rows, { width });
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(width);
    // Every row is still there.
    expect(lines.join("\n")).toContain("sliding");
  });

  it("wide enough: one line per row, natural widths", () => {
    const lines = renderTable(columns, rows, { width: 200 });
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^│ algorithm +│ requests │/);
  });

  it("too narrow for columns: stacked blocks of column and value", () => {
    const lines = renderTable(columns, rows, { width: 40 });
    expect(lines[0]).toBe("algorithm: fixed-window");
    expect(lines.some((l) => /^ {2}rejected +10$/.test(l))).toBe(true);
  });

  it("long tables show their first rows, a count of the rest, and the last two", () => {
    const many = Array.from({ length: 30 }, (_, i) => [String(i + 1), `v${i + 1}`]);
    const lines = renderTable(["#", "value"], many, { width: 80, maxRows: 8 });
    const text = lines.join("\n");
    expect(text).toContain("… 23 more rows");
    expect(text).toMatch(/│ 5 +│ v5 +│/);
    expect(text).not.toMatch(/│ 6 +│/);
    expect(text).toMatch(/│ 30 +│ v30 +│/);
    expect(lines).toHaveLength(4 + 5 + 1 + 2);
  });

  it("--ascii draws with + - |", () => {
    const lines = renderTable(["a", "b"], [["1", "2"]], { width: 80, ascii: true });
    expect(lines.join("")).toMatch(/^[+\-| a-z0-9]+$/);
  });
});

function cmd(seq: number, argv: string[], ms: number, reply: RecordedCommand["reply"] = "OK"): RecordedCommand {
  return { seq, client: "main", argv, reply, ms };
}

describe("the default trace summarises repeats", () => {
  const prefix = "rp:1a2b3c4d";
  const commands = Array.from({ length: 2_205 }, (_, i) =>
    cmd(i + 1, ["GET", `${prefix}:session:{user${i % 50}}`], (i % 100) / 100, "x".repeat(500)),
  );

  it("a long step: the first 3 and last 2 commands, the middle grouped with its count and percentiles", () => {
    const lines = traceLines(commands, "summary", plain, {
      showLua: false,
      shownScripts: new Set(),
      width: 80,
      prefix,
    });
    expect(lines).toHaveLength(3 + 1 + 1 + 2);
    expect(lines[3]).toContain("… 2200 more commands (--trace full shows them all)");
    expect(lines[4]).toMatch(/×2,200 GET rp:…:session:\{\*\} p50 0\.\d\d ms · p99 0\.9\d ms/);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
    // The 500-byte reply lost its end to fit.
    expect(lines[0]).toMatch(/→ "x+…/);
  });

  it("a bulk load's summary says how many pipelines (round trips) the middle went out in", () => {
    // 100 ZADDs, 10 per pipeline, then a single ZCARD: the middle spans all 10 pipelines.
    const load = Array.from({ length: 101 }, (_, i) => ({
      ...cmd(i + 1, i < 100 ? ["ZADD", `${prefix}:board`, "1", `p${i}`] : ["ZCARD", `${prefix}:board`], 1, 1),
      ...(i < 100 ? { batch: { id: Math.floor(i / 10) + 1, kind: "pipeline" as const } } : {}),
    }));
    const wide = traceLines(load, "summary", plain, { showLua: false, shownScripts: new Set(), width: 80, prefix });
    expect(wide.join("\n")).toContain("… 96 more commands (--trace full shows them all), in 10 pipelines:");
    // Narrower: the batches go on a line of their own.
    const lines = traceLines(load, "summary", plain, { showLua: false, shownScripts: new Set(), width: 60, prefix });
    expect(lines.join("\n")).toMatch(/… 96 more commands \(--trace full shows them all\):\n\s+in 10 pipelines\n/);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(60);
  });

  it("--trace full prints every command with every byte", () => {
    const lines = traceLines(commands, "full", plain, { showLua: false, shownScripts: new Set(), width: 80, prefix });
    expect(lines).toHaveLength(2_205);
    expect(lines[0]).toContain(`"${"x".repeat(500)}"`);
  });

  it("a long argument loses its middle with the bytes said; a bulk command keeps its key and counts the rest", () => {
    const lua = `-- ${"y".repeat(1_300)}`;
    const evalCmd = cmd(1, ["EVAL", lua, "1", `${prefix}:k`, "10", "60000"], 0.3, 1);
    const [line] = traceLines([evalCmd], "summary", plain, { showLua: false, shownScripts: new Set(), width: 80 });
    expect(line).toMatch(/EVAL "-- y+…\(\+1,2\d\d bytes\)…y+" 1 rp:1a2b3c4d:k/);
    const zadd = cmd(2, ["ZADD", `${prefix}:board`, ...Array.from({ length: 2_000 }, (_, i) => String(i))], 2, 1000);
    const [bulk] = traceLines([zadd], "summary", plain, { showLua: false, shownScripts: new Set(), width: 80 });
    expect(bulk).toMatch(/^ +ZADD rp:1a2b3c4d:board 0 1 .*…\(\+\d+ args\) {2}→ \(integer\) 1000/);
    expect(displayWidth(bulk!)).toBeLessThanOrEqual(80);
  });

  it("groups by client, command and key shape", () => {
    const mixed = [
      cmd(1, ["SET", `${prefix}:a:1`, "v"], 1),
      { ...cmd(2, ["SET", `${prefix}:a:2`, "v"], 3), client: "worker-1" },
      cmd(3, ["SET", `${prefix}:a:3`, "v"], 2),
      { ...cmd(4, ["GET", `${prefix}:a:3`], 2), error: "WRONGTYPE" },
    ];
    expect(groupCommands(mixed, prefix).map((g) => [g.shape, g.count, g.errors])).toEqual([
      ["SET rp:…:a:*", 2, 0],
      ["[worker-1] SET rp:…:a:*", 1, 0],
      ["GET rp:…:a:*", 1, 1],
    ]);
  });
});
