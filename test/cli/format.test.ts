import { describe, expect, it } from "vitest";
import { checksCell, displayArg, displayArgv, formatMs, formatReply, quoteArg } from "../../src/cli/format.js";

describe("quoteArg / displayArg", () => {
  it.each([
    ["INCR", "INCR"],
    ["rp:1:{alice}:fw", "rp:1:{alice}:fw"],
    ["", '""'],
    ["two words", '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["line\nbreak", '"line\\nbreak"'],
  ])("%j → %s", (arg, shown) => {
    expect(quoteArg(arg)).toBe(shown);
  });

  it("shortens long arguments with a visible marker that counts the bytes left out", () => {
    const lua = "-- a long script\n" + "x".repeat(200);
    const shown = displayArg(lua, 64);
    expect(shown).toMatch(/^"-- a long script x+…"\(\+\d+ bytes\)$/);
    const kept = shown.slice(1, shown.indexOf("…")).replace(" ", "\n");
    expect(Number(/\+(\d+) bytes/.exec(shown)![1])).toBe(Buffer.byteLength(lua) - Buffer.byteLength(kept));
  });

  it("joins argv with spaces, quoting only what needs it", () => {
    expect(displayArgv(["SET", "k", "a b"])).toBe('SET k "a b"');
  });
});

describe("formatReply, like redis-cli", () => {
  it.each([
    [1, undefined, "(integer) 1"],
    [null, undefined, "(nil)"],
    ["OK", undefined, "OK"],
    ["value", undefined, '"value"'],
    [[], undefined, "(empty array)"],
    [[1, "a", null], undefined, '1) (integer) 1 2) "a" 3) (nil)'],
    [undefined, "NOSCRIPT No matching script", "(error) NOSCRIPT No matching script"],
  ] as const)("%j", (reply, error, shown) => {
    expect(formatReply(reply as never, error)).toBe(shown);
  });
});

describe("formatMs", () => {
  it("keeps sub-millisecond precision where it matters", () => {
    expect(formatMs(0.234)).toBe("0.23 ms");
    expect(formatMs(12.34)).toBe("12.3 ms");
    expect(formatMs(1234)).toBe("1.23 s");
  });
});

describe("checksCell", () => {
  it("writes a comparison's checks cell: passed of all, and whether the scenario leaves the run ok", () => {
    const check = (ok: boolean) => ({ name: "c", ok, expected: 0, actual: 0 });
    expect(checksCell({ checks: [check(true), check(true)], ok: true })).toBe("2/2 ✓");
    expect(checksCell({ checks: [check(true), check(false)], ok: false })).toBe("1/2 ✗");
    expect(checksCell({ checks: [], ok: false })).toBe("0/0 ✗");
  });
});
