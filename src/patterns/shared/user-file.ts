/**
 * Files the user hands in (`ratelimit --script`, `lock --acquire-script`, an adapter): read once, with a usage error
 * naming the option (`what`) when one cannot be read or is empty.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { UsageError } from "../../errors.js";
import { defineScript, type LuaScript } from "../../redis/script.js";

/** A file's text; unreadable or empty: a usage error naming `what` (the option that gave the path). */
export function readSource(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? String(err));
    throw new UsageError(`cannot read ${what} ${path}: ${why}`);
  }
  if (text.trim() === "") throw new UsageError(`${what} ${path} is empty`);
  return text;
}

/** Read a Lua file as a script the trace can name (`user:limiter.lua`). Unreadable or empty: a usage error. */
export function loadLuaFile(path: string, what = "--script"): LuaScript {
  return defineScript(`user:${basename(path)}`, readSource(path, what));
}
