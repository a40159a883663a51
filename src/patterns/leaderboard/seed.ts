import type { ScoredPlayer } from "./board.js";

/** A small seeded PRNG (mulberry32): the same seed gives the same players, so runs and checks replay exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `player:0001` … `player:1000`: zero-padded, so names sort like numbers and all have the same length. */
export function playerName(i: number, count: number): string {
  return `player:${String(i).padStart(Math.max(4, String(count).length), "0")}`;
}

/** `count` players with whole-number scores drawn uniformly from [0, maxScore] by a seeded generator. */
export function generatePlayers(count: number, options: { seed: number; maxScore: number }): ScoredPlayer[] {
  const random = seededRandom(options.seed);
  const out: ScoredPlayer[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = { player: playerName(i + 1, count), score: Math.floor(random() * (options.maxScore + 1)) };
  return out;
}
