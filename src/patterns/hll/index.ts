/**
 * Unique counting with HyperLogLog (chapter section 4.6): PFADD/PFCOUNT/PFMERGE, the HLL's shape, and the statistics to
 * judge it.
 */
export {
  HLL_REGISTERS,
  HLL_DENSE_BYTES,
  HLL_STANDARD_ERROR,
  trackUnique,
  countUnique,
  mergeUnique,
  inspectUnique,
  encodingFromByte,
  addUniqueInBatches,
  addGeneratedAndCount,
  addGeneratedScript,
  GENERATED_PER_PFADD,
  growthBoundaries,
  splitAt,
  chunk,
  execPipeline,
  type HllEncoding,
  type BitfieldRead,
  type HllShape,
  type BatchSnapshot,
  type BulkAddOptions,
} from "./unique-count.js";
export {
  relativeError,
  rootMeanSquare,
  singleRunTolerance,
  chiSquareQuantile,
  standardErrorBand,
  ASYMPTOTIC_FROM_ITEMS,
  worstOfRunsSigmas,
} from "./stats.js";
export { ipAddress, ipAddresses, ipAddressesCooperatively, visitorId, dailyVisitors } from "./items.js";
