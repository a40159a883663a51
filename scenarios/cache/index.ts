import type { Strategy } from "../../src/patterns/cache/index.js";
import type { ScenarioDef } from "../../src/runner/types.js";
import cacheAside from "./cache-aside.js";
import invalidateEvent from "./invalidate-event.js";
import invalidateTtl from "./invalidate-ttl.js";
import invalidateVersioned from "./invalidate-versioned.js";
import readThrough from "./read-through.js";
import stampedeEarlyExpiry from "./stampede-early-expiry.js";
import stampedeLock from "./stampede-lock.js";
import stampedeNone from "./stampede-none.js";
import staleSetRace from "./stale-set-race.js";
import { topologyScenarios } from "./topology.js";
import type { WorkloadState } from "./workload.js";
import writeBehind from "./write-behind.js";
import writeThrough from "./write-through.js";
import type { Protection, WorkloadParams } from "./params.js";

export const strategyScenarios: Record<Strategy, ScenarioDef<WorkloadParams, WorkloadState>> = {
  "cache-aside": cacheAside,
  "read-through": readThrough,
  "write-through": writeThrough,
  "write-behind": writeBehind,
};

export const invalidationScenarios = {
  ttl: invalidateTtl,
  event: invalidateEvent,
  versioned: invalidateVersioned,
} as const;

export const stampedeScenarios = {
  none: stampedeNone,
  lock: stampedeLock,
  "early-expiry": stampedeEarlyExpiry,
} as const satisfies Record<Protection, unknown>;

export { staleSetRace, topologyScenarios };

/** Every cache scenario, in the order docs/cache.md presents them (smoke runs them all with their defaults). */
export const cacheScenarios = [
  ...Object.values(strategyScenarios),
  ...Object.values(invalidationScenarios),
  ...Object.values(stampedeScenarios),
  staleSetRace,
  ...Object.values(topologyScenarios),
];

export {
  defaultEventParams,
  defaultInvalidationParams,
  defaultStampedeParams,
  defaultTopologyParams,
  defaultWorkloadParams,
  protections,
  type EventInvalidationParams,
  type InvalidationParams,
  type OriginParams,
  type Protection,
  type RaceParams,
  type StampedeParams,
  type Topology,
  type TopologyParams,
  type WorkloadParams,
} from "./params.js";
