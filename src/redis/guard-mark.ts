/**
 * The mark on commands the TTL guard (ttl-guard.ts) sends itself: the recorder records them like any command, and
 * sends them past Ctrl-C's gate and the tour's step-through (each follows a write that was already sent).
 */
const GUARD = Symbol.for("redis-patterns.ttl-guard");

export function markGuardCommand(command: object): void {
  (command as { [GUARD]?: boolean })[GUARD] = true;
}

export function isGuardCommand(command: object): boolean {
  return (command as { [GUARD]?: boolean })[GUARD] === true;
}
