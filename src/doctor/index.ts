/**
 * `doctor`: which patterns a server can carry. probe.ts reads the server (read-only), facts.ts holds what it learnt,
 * requirements.ts says what each pattern needs, rules.ts judges one against the other. No printing here.
 */
export { collectFacts, type DoctorClient, type ProbeOptions } from "./probe.js";
export { UNKNOWN, durability, type DoctorFacts, type Durability } from "./facts.js";
export { PATTERNS, PATTERN_SPECS, COMMANDS, type PatternName } from "./requirements.js";
export { countVerdicts, evaluatePatterns, type Finding, type PatternVerdict, type Verdict } from "./rules.js";
export {
  collectClusterFacts,
  clusterWarnings,
  CLUSTER_SLOTS,
  type ClusterFacts,
  type ClusterNodeClient,
} from "./cluster.js";
