/**
 * Redis as the primary database (chapter 4.8, pattern 4): what each persistence setting keeps of acknowledged
 * writes when the server crashes. Pure: server arguments, the promise each setting makes, and the bound it implies.
 */

export const PERSISTENCE_SETTINGS = ["none", "rdb", "aof-everysec", "aof-always"] as const;
export type PersistenceSetting = (typeof PERSISTENCE_SETTINGS)[number];

/** The `redis-server` arguments of a setting. The AOF settings leave RDB off, so each row shows one mechanism. */
export function persistenceArgs(setting: PersistenceSetting, rdbSave: string): string[] {
  switch (setting) {
    case "none":
      return ["--save", "", "--appendonly", "no"];
    case "rdb":
      return ["--save", rdbSave, "--appendonly", "no"];
    case "aof-everysec":
      return ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"];
    case "aof-always":
      return ["--save", "", "--appendonly", "yes", "--appendfsync", "always"];
  }
}

/** `save "1 100"` as redis.conf states it, for the reader. */
export function describeSetting(setting: PersistenceSetting, rdbSave: string): string {
  switch (setting) {
    case "none":
      return 'no persistence (save "", appendonly no)';
    case "rdb":
      return `RDB snapshots (save "${rdbSave}")`;
    case "aof-everysec":
      return "AOF, appendfsync everysec";
    case "aof-always":
      return "AOF, appendfsync always";
  }
}

/** A `save` rule: "<seconds> <changes>" pairs, e.g. "1 100" or "900 1 300 10". */
export function parseSaveRule(text: string): { seconds: number; changes: number }[] {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0 || parts.length % 2 !== 0 || !parts.every((p) => /^\d+$/.test(p)))
    throw new RangeError(`a save rule is "<seconds> <changes>" pairs, e.g. "1 100", not "${text}"`);
  const rules: { seconds: number; changes: number }[] = [];
  for (let i = 0; i < parts.length; i += 2) rules.push({ seconds: Number(parts[i]), changes: Number(parts[i + 1]) });
  if (rules.some((r) => r.seconds < 1)) throw new RangeError(`a save rule's seconds must be 1 or more, not "${text}"`);
  return rules;
}

/** What a setting promises about acknowledged writes: on a process crash (SIGKILL) and on a machine crash. */
export interface DurabilityPromise {
  /** After the process is killed (what this pattern measures). */
  processCrash: string;
  /** After the machine loses power or the kernel crashes: what write() handed the kernel but fsync had not reached. */
  machineCrash: string;
}

export const PROMISES: Record<PersistenceSetting, DurabilityPromise> = {
  none: { processCrash: "everything", machineCrash: "everything" },
  rdb: { processCrash: "writes since the last snapshot", machineCrash: "writes since the last snapshot" },
  // Redis hands each write to the kernel before it replies and fsyncs once a second in the background; while a slow
  // fsync still runs it may hold writes back for up to 2 s (then it writes without waiting).
  "aof-everysec": {
    processCrash: "nothing acknowledged (up to ~2 s if an fsync stalls)",
    machineCrash: "~1 s of writes (2 s if the disk stalls)",
  },
  "aof-always": { processCrash: "nothing acknowledged", machineCrash: "nothing acknowledged" },
};

/** How long an everysec server may hold writes back, ms, plus a margin for a busy machine: the bound checked. */
export const EVERYSEC_BOUND_MS = 1_000 + 500;

/**
 * The most acknowledged writes a setting may lose, given when each was acknowledged (ms, one clock) and the kill
 * time. `snapshotFloor` (RDB) is how many writes were surely in the last snapshot: acknowledged before a moment the
 * server was seen with no snapshot running and the final count of completed snapshots not yet reached.
 */
export function lossBound(
  setting: PersistenceSetting,
  ackTimes: readonly number[],
  killAt: number,
  snapshotFloor = 0,
): number {
  switch (setting) {
    case "none":
      return ackTimes.length;
    case "rdb":
      return ackTimes.length - snapshotFloor;
    case "aof-everysec":
      return ackTimes.filter((t) => t > killAt - EVERYSEC_BOUND_MS).length;
    case "aof-always":
      return 0;
  }
}
