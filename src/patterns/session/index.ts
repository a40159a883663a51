/**
 * Session management (chapter section 4.3): whole JSON sessions with sliding expiry, hash sessions, the lost-update
 * race.
 */
export { newSessionId, sessionCookie, SESSION_ID_BYTES } from "./session-id.js";
export {
  saveSession,
  readSession,
  touchSession,
  endSession,
  watchSession,
  commitSession,
  updateSession,
  slidingReadFor,
  type SessionData,
  type SlidingRead,
} from "./string-session.js";
export {
  createHashSession,
  sessionField,
  readHashSession,
  hashFromReply,
  addToCart,
  setSessionField,
  type HashSession,
} from "./hash-session.js";
export { applyChanges, missingChanges, type FieldChange } from "./race.js";
export { percentile, summarizeLatencies, type LatencySummary } from "./latency.js";
