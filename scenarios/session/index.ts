import type { ScenarioDef } from "../../src/runner/types.js";
import hash from "./hash.js";
import lostUpdate from "./lost-update.js";
import readLatency from "./read-latency.js";
import type { SessionParams, SessionVariant } from "./params.js";
import string from "./string.js";

/** Each variant's scenario; their states differ, and the runner never looks inside a state. */
export const sessionScenarios: Record<SessionVariant, ScenarioDef<SessionParams, unknown>> = {
  string,
  hash,
  "lost-update": lostUpdate,
  "read-latency": readLatency,
};

export { defaultParams, variants, type SessionParams, type SessionVariant } from "./params.js";
