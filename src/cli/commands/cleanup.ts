import { UsageError } from "../../errors.js";
import { deleteKeys, scanPrefixOnAll } from "../../redis/cleanup.js";
import { connectTarget } from "../../redis/connect.js";
import { CommandRecorder } from "../../redis/recorder.js";
import type { CleanupCliOptions } from "../options/cleanup.js";

/** `redis-patterns cleanup --prefix P`: SCAN for P:* and delete what is found (or list it with --dry-run). */
export async function cleanupCommand(opts: CleanupCliOptions): Promise<void> {
  if (!opts.prefix)
    throw new UsageError("cleanup needs --prefix <prefix>, the prefix a --keep run printed (e.g. rp:1a2b3c4d)");
  if (opts.embedded) throw new UsageError("cleanup --embedded would look in a new, empty server: give --url instead");
  const recorder = new CommandRecorder();
  const connection = await connectTarget({
    url: opts.url,
    cluster: opts.cluster,
    envUrl: process.env.REDIS_URL,
    tlsCa: opts.tlsCa,
    insecure: opts.insecure,
    timeoutMs: opts.timeout,
    recorder,
    allowEmbedded: false,
  });
  try {
    const keys = await scanPrefixOnAll(connection.masters(), opts.prefix);
    const deleted = opts.dryRun ? 0 : await deleteKeys(connection.redis, keys);
    const result = {
      target: connection.target,
      prefix: opts.prefix,
      dryRun: opts.dryRun === true,
      found: keys.length,
      deleted,
      keys,
    };
    if (opts.json) {
      process.stdout.write(
        JSON.stringify({ schemaVersion: 1, ok: true, command: "cleanup", ...result }, null, 2) + "\n",
      );
    } else {
      const shown = keys.slice(0, 20).map((k) => `  ${k}`);
      if (keys.length > 20) shown.push(`  … and ${keys.length - 20} more`);
      const verb = opts.dryRun ? "would delete" : "deleted";
      process.stdout.write(
        [
          `${connection.target.url}: found ${keys.length} key${keys.length === 1 ? "" : "s"} under ${opts.prefix}:, ${verb} ${opts.dryRun ? keys.length : deleted}`,
          ...shown,
        ].join("\n") + "\n",
      );
    }
  } finally {
    await connection.close();
  }
}
