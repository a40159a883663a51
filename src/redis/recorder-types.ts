// The recorder's record of one command, shared by the recorder and its per-command slot.
/** A reply in a JSON-friendly shape: bulk and status strings as strings, integers as numbers, nil as null. */
export type ReplyValue = string | number | null | ReplyValue[] | { error: string };

/** One command as it went over the wire, with what came back. */
export interface RecordedCommand {
  /** Sequence number within the run, from 1. */
  seq: number;
  /** Which connection sent it (for scenarios with several clients: "worker-1", …). */
  client: string;
  /** The full argv, command name first, exactly as written to the socket (passwords replaced by "[redacted]"). */
  argv: string[];
  /** The reply as the server sent it; for MULTI/EXEC, queued commands reply "QUEUED" and EXEC carries the results. */
  reply?: ReplyValue;
  /** The error reply (or client-side failure, e.g. a timeout), when there was one. */
  error?: string;
  /** Milliseconds from writing the command to its reply. Within a pipeline, from the pipeline's first write. */
  ms: number;
  /** Set when the command was sent as part of a pipeline or transaction: commands with the same id were one batch. */
  batch?: { id: number; kind: "pipeline" | "multi" };
  /**
   * "handshake" for what the client sends on connecting (AUTH, SELECT, CLIENT SETNAME); "ttl-guard" for the EXPIRE …
   * NX (or PERSIST undoing one) the run's TTL guard sends after a write (src/redis/ttl-guard.ts), not the pattern.
   */
  phase?: "handshake" | "ttl-guard";
  /** Set for what went to another system than Redis (the database behind a cache): argv is then its statement. */
  source?: "db";
  /** On a Redis Cluster: the node (host:port) the command was sent to. */
  node?: string;
}
