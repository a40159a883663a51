/** The cluster health parsers and warnings of `doctor`, on replies as Redis writes them (no server needed). */
import { describe, expect, it } from "vitest";
import { clusterWarnings, shardsFromNodes, shardsFromReply, type ClusterFacts } from "../../src/doctor/cluster.js";

// CLUSTER NODES from a 3-master cluster where one replica has failed and the third master has none.
const NODES = [
  "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460",
  "a2 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922",
  "a3 127.0.0.1:7002@17002 master - 0 0 3 connected 10923-16383",
  "b1 127.0.0.1:7003@17003 slave a1 0 0 1 connected",
  "b2 127.0.0.1:7004@17004 slave,fail a2 0 0 2 disconnected",
].join("\n");

describe("cluster health", () => {
  it("reads masters, their slots and replicas from CLUSTER NODES (Redis before 7.0)", () => {
    expect(shardsFromNodes(NODES)).toEqual([
      {
        master: "127.0.0.1:7000",
        slots: ["0-5460"],
        slotCount: 5461,
        health: "online",
        replicas: [{ address: "127.0.0.1:7003", health: "online" }],
      },
      {
        master: "127.0.0.1:7001",
        slots: ["5461-10922"],
        slotCount: 5462,
        health: "online",
        replicas: [{ address: "127.0.0.1:7004", health: "failed" }],
      },
      { master: "127.0.0.1:7002", slots: ["10923-16383"], slotCount: 5461, health: "online", replicas: [] },
    ]);
  });

  it("reads CLUSTER SHARDS (Redis 7.0+): slot pairs, nodes with role and health", () => {
    const reply = [
      [
        "slots",
        [0, 5460, 6000, 6000],
        "nodes",
        [
          [
            "id",
            "a1",
            "port",
            7000,
            "ip",
            "127.0.0.1",
            "endpoint",
            "127.0.0.1",
            "role",
            "master",
            "replication-offset",
            10,
            "health",
            "online",
          ],
          [
            "id",
            "b1",
            "port",
            7003,
            "ip",
            "127.0.0.1",
            "endpoint",
            "127.0.0.1",
            "role",
            "replica",
            "replication-offset",
            10,
            "health",
            "loading",
          ],
        ],
      ],
    ];
    expect(shardsFromReply(reply)).toEqual([
      {
        master: "127.0.0.1:7000",
        slots: ["0-5460", "6000"],
        slotCount: 5462,
        health: "online",
        replicas: [{ address: "127.0.0.1:7003", health: "loading" }],
      },
    ]);
  });

  it("warns about a failed state, unserved slots and masters without an online replica; nothing when healthy", () => {
    const shards = shardsFromNodes(NODES);
    const facts: ClusterFacts = {
      state: "fail",
      slotsAssigned: 16384,
      slotsOk: 16000,
      slotsFail: 384,
      knownNodes: 5,
      shards,
      problems: [],
    };
    expect(clusterWarnings(facts)).toEqual([
      "cluster_state is fail",
      "384 of 16384 slots not served",
      "no online replica for 127.0.0.1:7001, 127.0.0.1:7002: losing that master loses its slots",
    ]);
    const healthy = shards.map((s) => ({ ...s, replicas: [{ address: "x:1", health: "online" }] }));
    expect(clusterWarnings({ ...facts, state: "ok", slotsOk: 16384, slotsFail: 0, shards: healthy })).toEqual([]);
  });
});
