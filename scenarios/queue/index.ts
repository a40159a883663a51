import type { QueueKind } from "../../src/patterns/queue/index.js";
import type { ScenarioDef } from "../../src/runner/types.js";
import listQueue from "./list.js";
import reliableQueue from "./reliable.js";
import type { QueueParams } from "./params.js";
import streamQueue from "./stream.js";

// Each kind keeps its own state type; the command only needs the parameters they share.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const queueScenarios: Record<QueueKind, ScenarioDef<QueueParams, any>> = {
  list: listQueue,
  reliable: reliableQueue,
  stream: streamQueue,
};

export { defaultQueueParams, type QueueParams } from "./params.js";
export { TALLY_COLUMNS, tallyRow } from "./consumers.js";
