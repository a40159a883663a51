/** Real-time analytics (chapter section 4.6): time-bucketed counters, trending with decay, time series. */
export {
  dayBucket,
  hourBucket,
  hoursOfDay,
  countEvent,
  countEventScript,
  readCounters,
  supportsExpireNx,
  type CountMode,
  type CountResult,
} from "./counters.js";
export {
  recordView,
  topTrending,
  allScores,
  decayScores,
  decayScoresClientLoop,
  modelTrending,
  topOf,
  type ScoredItem,
  type ClientLoopResult,
  type TrendingEvent,
} from "./trending.js";
export {
  sampleId,
  idTime,
  formatValue,
  addSample,
  samplesBetween,
  trimToCount,
  trimBefore,
  inspectStream,
  sampleMember,
  parseSampleMember,
  addSamplesToSortedSet,
  sortedSetSamplesBetween,
  bucketStats,
  type Sample,
  type TrimMode,
  type ScoreRangeCommand,
  type StreamShape,
  type BucketStats,
} from "./timeseries.js";
export { seededRandom, mix32, randomInt, zipfCumulative, pickWeighted } from "./random.js";
export {
  counterTraffic,
  trendingTraffic,
  cpuSamples,
  pageviewRate,
  apiCallRate,
  VIRAL_ARTICLE,
  RISING_ARTICLE,
  BACKGROUND_ARTICLES,
  HOSTS,
  type CounterEvent,
  type TrendingHour,
} from "./traffic.js";
export { execPipeline } from "../../redis/batch.js";
