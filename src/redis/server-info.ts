/** Reading what a server says about itself: INFO text as fields, and version numbers compared. Pure. */

/** INFO text as key → value (sections merged). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** A version as numbers ("7.0.15" → [7, 0, 15]); null when it does not start with one ("unknown", "df-v1"). */
export function parseVersion(version: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/** True when `version` is at least `since` ("7.0.15" ≥ "6.2"); undefined when either does not parse. */
export function versionAtLeast(version: string, since: string): boolean | undefined {
  const have = parseVersion(version);
  const need = parseVersion(since);
  if (!have || !need) return undefined;
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  }
  return true;
}
