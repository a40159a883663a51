/** Redis as the primary database (chapter 4.8): four use cases, persistence settings, and what a crash loses. */
export * from "./persistence.js";
export * from "./use-cases.js";
export * from "./stream.js";
