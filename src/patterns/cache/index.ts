/**
 * Caching (chapter sections 4.1 and 4.8): a real origin database behind Redis, the four strategies, invalidation
 * (TTL, pub/sub events, versioned keys), stampede protection, and the cache-aside stale-set race with a fix.
 */
export { openOriginDb } from "./open-origin.js";
export {
  OriginSpecError,
  parseOriginSpec,
  describeOrigin,
  redactDbUrl,
  originTableName,
  userName,
  latestPerId,
  runStatement,
  type OriginDb,
  type OriginDbOptions,
  type OriginSpec,
  type OriginCounts,
  type StatementRunner,
  type UserRow,
} from "./origin-db.js";
export {
  encodeUser,
  encodeTombstone,
  decodeEntry,
  getCachedUser,
  setCachedUser,
  deleteCachedUser,
  type CacheRead,
  type CacheEntry,
} from "./entry.js";
export { readCacheAside, writeCacheAside, type CacheTtl } from "./cache-aside.js";
export { createReadThroughCache, writeAround, type ReadThroughCache, type ReadThroughOptions } from "./read-through.js";
export { writeThrough } from "./write-through.js";
export {
  writeBehind,
  writeBehindScript,
  flushWriteBehind,
  pendingWrites,
  startWriteBehindWorker,
  type QueuedWrite,
  type FlushResult,
  type WriteBehindWorker,
  type WriteBehindWorkerOptions,
} from "./write-behind.js";
export {
  LocalCache,
  invalidationMessage,
  parseInvalidation,
  publishInvalidation,
  subscribeInvalidations,
  ensureNamespaceVersion,
  namespaceVersion,
  bumpNamespaceVersion,
  readVersioned,
} from "./invalidation.js";
export {
  fetchUnprotected,
  fetchWithLock,
  fetchWithEarlyExpiry,
  shouldRecomputeEarly,
  encodeTimed,
  decodeTimed,
  releaseLockScript,
  type StampedeFetch,
  type TimedEntry,
  type Loader,
  type LockOptions,
  type EarlyExpiryOptions,
} from "./stampede.js";
export { fillIfNewer, fillIfNewerScript, invalidateWithTombstone, readFenced } from "./stale-set.js";
export { modelStrategy, strategies, type Strategy, type StrategyModel, type ModelRead } from "./model.js";
export {
  generateWorkload,
  seededRandom,
  zipfSampler,
  percentile,
  type WorkloadOp,
  type WorkloadOptions,
} from "./workload.js";
