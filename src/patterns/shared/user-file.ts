/**
 * Files the user hands in (a rate limiter's script or adapter, a lock's acquire/release/extend scripts): read once,
 * with a usage error that names the file by its role when one cannot be read, is empty or does not fit.
 * The pattern knows no CLI flags: a UserFileError carries the role and the path, and phrases its message with
 * whatever names the caller gives the roles (the CLI gives the flags: `--adapter`, `--acquire-script` …).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { UsageError } from "../../errors.js";
import { defineScript, type LuaScript } from "../../redis/script.js";

/** Which file the user handed in. */
export type UserFileRole = "script" | "adapter" | "acquire" | "release" | "extend";

/** Names a role in a message: the pattern's own words, or the CLI's flag. */
export type NameRole = (role: UserFileRole) => string;

/** The pattern's words for each role (what a UserFileError's message says when no one names them otherwise). */
export const roleNames: NameRole = (role) =>
  ({
    script: "the limiter script",
    adapter: "the adapter",
    acquire: "the acquire script",
    release: "the release script",
    extend: "the extend script",
  })[role];

/** A file the user handed in that cannot be used: its role, its path (none when it is missing) and what is wrong. */
export class UserFileError extends UsageError {
  constructor(
    readonly role: UserFileRole,
    readonly path: string | undefined,
    /** The message, with each role named by `name`. */
    readonly phrase: (name: NameRole) => string,
  ) {
    super(phrase(roleNames));
  }
}

/** A file's text; unreadable or empty: a UserFileError for `role`. */
export function readSource(path: string, role: UserFileRole): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? String(err));
    throw new UserFileError(role, path, (name) => `cannot read ${name(role)} ${path}: ${why}`);
  }
  if (text.trim() === "") throw new UserFileError(role, path, (name) => `${name(role)} ${path} is empty`);
  return text;
}

/** Read a Lua file as a script the trace can name (`user:limiter.lua`). Unreadable or empty: a UserFileError. */
export function loadLuaFile(path: string, role: UserFileRole): LuaScript {
  return defineScript(`user:${basename(path)}`, readSource(path, role));
}
