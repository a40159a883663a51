import type { LockAlgorithm } from "../../src/patterns/lock/index.js";
import type { ScenarioDef } from "../../src/runner/types.js";
import fencing from "./fencing.js";
import noLock from "./no-lock.js";
import type { LockParams } from "./params.js";
import type { LockState } from "./state.js";
import simple from "./simple.js";
import watchdog from "./watchdog.js";

export const lockScenarios: Record<LockAlgorithm, ScenarioDef<LockParams, LockState>> = { simple, watchdog, fencing };
export const noLockScenario = noLock;

export { defaultParams, type LockParams } from "./params.js";
export { default as redlockScenario, redlockDefaults, type RedlockParams } from "./redlock.js";
export { default as failoverScenario, failoverDefaults, type FailoverParams } from "./failover.js";
