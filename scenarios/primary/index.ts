export {
  durabilityScenario,
  durabilityScenarios,
  killMoment,
  primaryDefaults,
  CHAPTER,
  CHAPTER_CLAIM,
  type PrimaryParams,
  type DurabilityState,
} from "./durability.js";
export { noServerBinary, resolveServerBinary, type ServerBinary } from "./server.js";
