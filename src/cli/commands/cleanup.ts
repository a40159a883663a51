import { createInterface } from "node:readline/promises";
import { UsageError } from "../../errors.js";
import { connectFromOptions } from "../connect-from-options.js";
import { validatePrefix } from "../../redis/keys.js";
import { executeCleanup, planCleanup } from "../../redis/leftovers.js";
import { CommandRecorder } from "../../redis/recorder.js";
import type { CleanupCliOptions } from "../options/cleanup.js";

/**
 * `redis-patterns cleanup --prefix P`: delete what a redis-patterns run left under P, as its marker vouches (see
 * src/redis/leftovers.ts). Lists the keys first; asks on a terminal, needs --yes elsewhere; --dry-run only lists.
 */
export async function cleanupCommand(opts: CleanupCliOptions): Promise<void> {
  if (!opts.prefix)
    throw new UsageError("cleanup needs --prefix <prefix>, the prefix a --keep run printed (e.g. rp:1a2b3c4d)");
  if (opts.embedded) throw new UsageError("cleanup --embedded would look in a new, empty server: give --url instead");
  const prefix = validatePrefix(opts.prefix);
  const recorder = new CommandRecorder();
  const connection = await connectFromOptions(opts, { recorder, allowEmbedded: false });
  try {
    const plan = await planCleanup(connection.redis, connection.masters(), prefix, opts.force === true);
    const keys = plan.keys;
    const s = (n: number) => (n === 1 ? "" : "s");
    if (!opts.json) {
      const shown = keys.slice(0, 20).map((k) => `  ${k}`);
      if (keys.length > 20) shown.push(`  … and ${keys.length - 20} more`);
      const run = plan.marker.state === "kept" ? "a --keep run" : "a run that did not finish";
      const lines = [
        `${connection.target.url}: found ${keys.length} key${s(keys.length)} under ${prefix}: left by ${run} ` +
          `(redis-patterns run ${plan.marker.run}, started ${plan.marker.started})`,
        ...shown,
      ];
      if (plan.left.length > 0)
        lines.push(
          `${plan.left.length} other key${s(plan.left.length)} under ${prefix}: not created by that run ` +
            `stay${plan.left.length === 1 ? "s" : ""} as ${plan.left.length === 1 ? "it is" : "they are"} ` +
            `(e.g. ${plan.left[0]})`,
        );
      if (opts.dryRun)
        lines.push(`dry run: would delete ${keys.length} key${s(keys.length)} under ${prefix}:, deleted 0`);
      process.stdout.write(lines.join("\n") + "\n");
    }
    let deleted = 0;
    if (!opts.dryRun) {
      if (!opts.yes) await confirm(keys.length, prefix, opts.json === true);
      deleted = await executeCleanup(connection.redis, plan);
      if (!opts.json)
        process.stdout.write(`deleted ${deleted} key${s(deleted)} under ${prefix}: and the run's marker\n`);
    }
    if (opts.json) {
      const result = {
        target: connection.target,
        prefix,
        run: plan.marker,
        dryRun: opts.dryRun === true,
        found: keys.length,
        deleted,
        keys,
        left: plan.left,
      };
      process.stdout.write(
        JSON.stringify({ schemaVersion: 1, ok: true, command: "cleanup", ...result }, null, 2) + "\n",
      );
    }
  } finally {
    await connection.close();
  }
}

/** Ask on a terminal; anywhere else (a pipe, CI, --json) deleting needs --yes. */
async function confirm(count: number, prefix: string, json: boolean): Promise<void> {
  const refuse = () =>
    new UsageError(
      `cleanup would delete ${count} key${count === 1 ? "" : "s"} under ${prefix}: add --yes to confirm (or ` +
        `--dry-run to list them); nothing deleted`,
    );
  if (json || process.stdin.isTTY !== true || process.stderr.isTTY !== true || process.env.CI) throw refuse();
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Delete these ${count} key${count === 1 ? "" : "s"} under ${prefix}:? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw refuse();
  } finally {
    rl.close();
  }
}
