import type { CheckFailure } from "./check-failure.js";

/**
 * The error vocabulary. Library code throws these; only the CLI entry point turns them into a message on stderr
 * and an exit code (see `exitCodeOf`).
 */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  connection: 3,
  auth: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class RedisPatternsError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line: unknown command or option, a value that does not parse or is out of range. */
export class UsageError extends RedisPatternsError {
  readonly exitCode = ExitCode.usage;
}

/** A user's script (`ratelimit --script`, `lock --acquire-script`) does not compile: the run stops, exit 2. */
export class ScriptLoadError extends UsageError {}

/** The server cannot be reached, answered too slowly, or the connection broke. */
export class ConnectError extends RedisPatternsError {
  readonly exitCode = ExitCode.connection;
}

/**
 * Something every scenario of the run depends on besides Redis cannot be reached (the database behind the cache,
 * `cache --db postgres://…`): the run stops at once with this one line, exit 3, instead of failing scenario by
 * scenario.
 */
export class DependencyError extends ConnectError {}

/** Authentication failed (WRONGPASS, NOAUTH) or the ACL user lacks a permission (NOPERM). */
export class AuthError extends RedisPatternsError {
  readonly exitCode = ExitCode.auth;
}

/**
 * The run was refused to protect the data already on the server: it could push a server with an evicting
 * maxmemory-policy into evicting keys (`--force` overrides). Exit 4, like a permission the server refuses.
 */
export class EvictionRiskError extends RedisPatternsError {
  readonly exitCode = ExitCode.auth;
}

/**
 * One or more checks of a scenario failed; the results were already shown. `failures` holds each failed check with
 * its expected and actual values and evidence, as the report's `failures` does (a scenario that stopped on an error,
 * bench's failed operations or cleanup, doctor's unsupported patterns, in the same shape).
 */
export class CheckFailedError extends RedisPatternsError {
  readonly exitCode = ExitCode.checkFailed;
  constructor(
    message: string,
    readonly failures: readonly CheckFailure[] = [],
  ) {
    super(message);
  }
}

/** Ctrl-C (SIGINT) or SIGTERM. */
export class InterruptedError extends RedisPatternsError {
  readonly exitCode = ExitCode.interrupted;
  constructor(message = "interrupted") {
    super(message);
  }
}

export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof RedisPatternsError ? err.exitCode : ExitCode.checkFailed;
}

/** Errors whose report (with the error in it) was already printed, so --json must not print a second document. */
const reported = new WeakSet<object>();

export function markReported(err: unknown): void {
  if (typeof err === "object" && err !== null) reported.add(err);
}

export function wasReported(err: unknown): boolean {
  return typeof err === "object" && err !== null && reported.has(err);
}
