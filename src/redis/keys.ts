import { UsageError } from "../errors.js";

/**
 * Every key a run touches is named here, under the run's prefix, and remembered so the run can delete exactly
 * what it created. Hash tags (`{alice}`) keep the keys one operation touches in one cluster slot.
 */
export class KeySpace {
  /** Every key named so far, with the scenario that named it first. */
  private readonly names = new Map<string, string>();
  /** The scenario now running; keys are never shared between scenarios of one run (each must start clean). */
  owner = "";
  /** Keys a command failed on because they hold another type (WRONGTYPE): not this run's, never deleted. */
  private readonly foreign = new Set<string>();

  /** `maxKeys` bounds how many keys a run may name (`smoke --max-keys`, for shared staging servers). */
  constructor(
    readonly prefix: string,
    readonly maxKeys = Number.POSITIVE_INFINITY,
  ) {}

  /** `key("ratelimit", tag("alice"), "fw", "202401151030")` → `rp:x7k2m9:ratelimit:{alice}:fw:202401151030`. */
  key(...parts: (string | number)[]): string {
    const name = [this.prefix, ...parts].join(":");
    const first = this.names.get(name);
    if (first === undefined) {
      if (this.names.size >= this.maxKeys) {
        throw new KeyLimitError(
          `the run would write more than ${this.maxKeys} keys (--max-keys); stopped before ${name}`,
        );
      }
      this.names.set(name, this.owner);
    } else if (first !== this.owner) {
      // Two scenarios of one run (smoke, --compare) would see each other's state: a naming bug in the scenario.
      throw new Error(`key ${name} is used by both ${first} and ${this.owner}: scenarios must name their keys apart`);
    }
    return name;
  }

  /** All keys named so far, in the order they were first named. */
  created(): string[] {
    return [...this.names.keys()];
  }

  /** Whether `key` was named by this run. */
  has(key: string): boolean {
    return this.names.has(key);
  }

  /**
   * Mark a named key as not this run's: a command failed on it because it already held something else (WRONGTYPE).
   * The end-of-run cleanup leaves it alone.
   */
  markForeign(key: string): void {
    if (this.names.has(key)) this.foreign.add(key);
  }

  /** Whether `key` was marked with `markForeign`. */
  isForeign(key: string): boolean {
    return this.foreign.has(key);
  }

  /** Keys marked with `markForeign`, in naming order. */
  foreignKeys(): string[] {
    return this.created().filter((k) => this.foreign.has(k));
  }

  /** The keys the end-of-run cleanup may delete: every key named, less those marked foreign. */
  deletable(keys: readonly string[] = this.created()): string[] {
    return keys.filter((k) => !this.foreign.has(k));
  }

  /** Keys first named while `owner` was running (the tour deletes one scenario's keys before running it again). */
  ownedBy(owner: string): string[] {
    return [...this.names].filter(([, o]) => o === owner).map(([name]) => name);
  }

  /**
   * Forget the keys `owner` named, once they are deleted (the tour runs a scenario again): the next run names them
   * afresh, so a step that looks at what it created (`createdSince`) sees them again.
   */
  forget(owner: string): void {
    for (const [name, o] of [...this.names]) if (o === owner) this.names.delete(name);
  }

  /** Keys named since `mark()` returned `n`. */
  mark(): number {
    return this.names.size;
  }

  createdSince(mark: number): string[] {
    return [...this.names.keys()].slice(mark);
  }
}

/** A scenario needed more keys than the run allows: that scenario fails, the others still run. */
export class KeyLimitError extends Error {
  override readonly name = "KeyLimitError";
}

/** Wrap a key part in a hash tag. */
export function tag(part: string): string {
  return `{${part}}`;
}

/** The hash tag of a key (what Redis Cluster hashes), or the whole key when it has none. */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/**
 * A fresh prefix for one run: short, readable, and unlikely to meet another run's. From the global Web Crypto, which
 * Node loads on first use: `import "node:crypto"` here would load it for `--help` too (this module is on its path),
 * about 8 ms of start-up.
 */
export function newRunPrefix(): string {
  return `rp:${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(4))).toString("hex")}`;
}

/** The shortest prefix accepted, counted after normalisation (trailing separators removed). */
export const MIN_PREFIX_LENGTH = 3;

/**
 * Normalise a user-given prefix the one way every check and every key name uses it: surrounding whitespace and
 * trailing `:` separators removed (`rp:mine:` and `rp:mine` are one prefix; keys are `rp:mine:…`).
 */
export function normalizePrefix(prefix: string): string {
  return prefix.trim().replace(/:+$/, "");
}

/**
 * Check a user-given prefix, after normalising it. It must be specific enough that "everything under it" cannot mean
 * someone else's data: no glob characters (cleanup uses SCAN MATCH), no spaces, at least 3 characters with a letter
 * or digit among them (`:::` normalises to nothing; `rp:` to `rp`, which would match every run's keys).
 */
export function validatePrefix(prefix: string): string {
  if (/[*?[\]\\\s{}]/.test(prefix.trim())) {
    throw new UsageError(`--prefix "${prefix}" may not contain glob characters, braces or spaces`);
  }
  const normalized = normalizePrefix(prefix);
  if (!/[\p{L}\p{N}]/u.test(normalized)) {
    throw new UsageError(`--prefix "${prefix}" has no letter or digit: use a name such as rp:mytest`);
  }
  if (normalized.length < MIN_PREFIX_LENGTH) {
    const stripped = normalized !== prefix ? ` (it is "${normalized}" without trailing separators)` : "";
    throw new UsageError(
      `--prefix "${prefix}" is too short${stripped}: use at least ${MIN_PREFIX_LENGTH} characters, e.g. rp:mytest`,
    );
  }
  return normalized;
}
