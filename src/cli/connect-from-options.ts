import { connectTarget } from "../redis/connect.js";
import type { Connection } from "../redis/connection.js";
import type { CommandRecorder } from "../redis/recorder.js";
import type { GlobalOptions } from "./options/common.js";
import { cliPassword } from "./secrets.js";

/** What a command adds to the global options when it connects. */
export interface ConnectExtras {
  recorder: CommandRecorder;
  /** One-line notices for stderr (e.g. that a throwaway server was started). */
  notice?: (message: string) => void;
  /** `smoke --wait`: keep retrying a refused connection this long. */
  waitMs?: number;
  /** False where a fresh empty server would be pointless (cleanup): then the default address must answer. */
  allowEmbedded?: boolean;
}

/**
 * Connect to the target the global options name (--url, --cluster, --embedded, --tls-ca, --insecure, --timeout),
 * REDIS_URL and the password from the environment or --ask-pass: the one place every command turns its options into
 * a connection, so none of them drops one.
 */
export function connectFromOptions(
  opts: Pick<GlobalOptions, "url" | "cluster" | "embedded" | "tlsCa" | "insecure" | "timeout">,
  extras: ConnectExtras,
): Promise<Connection> {
  return connectTarget({
    url: opts.url,
    cluster: opts.cluster,
    envUrl: process.env.REDIS_URL,
    embedded: opts.embedded,
    tlsCa: opts.tlsCa,
    insecure: opts.insecure,
    password: cliPassword(),
    timeoutMs: opts.timeout,
    recorder: extras.recorder,
    notice: extras.notice,
    waitMs: extras.waitMs,
    allowEmbedded: extras.allowEmbedded,
  });
}
