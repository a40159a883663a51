/** The rate limits' check evidence (scenarios/ratelimit/evidence.ts): the window that held the most, named. */
import { describe, expect, it } from "vitest";
import type { Decision } from "../../scenarios/ratelimit/algorithm-run.js";
import { concurrentEvidence, violationEvidence, windowEvidence } from "../../scenarios/ratelimit/evidence.js";

const decision = (seq: number, client: string, at: number, allowed = true): Decision => ({
  seq,
  client,
  at,
  cost: 1,
  allowed,
  numbers: {},
  detail: "",
});

describe("rate limit evidence", () => {
  it("names the client and the requests of the window that allowed the most", () => {
    const decisions = [
      decision(1, "alice", 0),
      decision(2, "bob", 10),
      decision(3, "bob", 990),
      decision(4, "bob", 1_000),
      decision(5, "bob", 1_500, false),
      decision(6, "bob", 1_989.5),
      decision(7, "alice", 5_000),
    ];
    expect(windowEvidence(decisions, { limit: 2, windowMs: 1_000 })).toEqual({
      limit: 2,
      windowMs: 1_000,
      client: "bob",
      "allowed in one window": 3,
      "those requests (request number, ms after the first)": "2 +0, 3 +980, 4 +990",
    });
    expect(windowEvidence([], { limit: 2, windowMs: 1_000 })).toEqual({
      limit: 2,
      windowMs: 1_000,
      "allowed in one window": 0,
    });
  });

  it("a user script's violation and a concurrent run, as values", () => {
    expect(violationEvidence(4, 3, "boundary traffic", "alice 10:30:00.001 ✓", "--fuzz 10 --seed 1").values).toEqual({
      "seen in": "boundary traffic",
      "requests in the sequence": 4,
      "the request that broke it": 4,
      "shortest sequence": "alice 10:30:00.001 ✓",
      replay: "--fuzz 10 --seed 1",
    });
    expect(violationEvidence(2, undefined, "steady traffic").values).toEqual({
      "seen in": "steady traffic",
      "requests in the sequence": 2,
    });
    expect(concurrentEvidence({ sent: 9, allowed: [2, 1, 1] }).values).toEqual({
      sent: 9,
      "allowed per instance": "2, 1, 1",
    });
  });
});
