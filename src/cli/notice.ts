/** Where the tool's own lines on stderr come from: one prefix, so a user can tell them from a server's or a shell's. */

/** `redis-patterns: <message>` (no newline): the shape of every line the tool writes to stderr. */
export function prefixed(message: string): string {
  return `redis-patterns: ${message}`;
}

/** Write one notice, warning or error line to stderr (or the given stream), prefixed. */
export function writeNotice(message: string, stderr: { write(text: string): unknown } = process.stderr): void {
  stderr.write(`${prefixed(message)}\n`);
}
