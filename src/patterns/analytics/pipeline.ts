import type { Redis } from "ioredis";

type Pipe = ReturnType<Redis["pipeline"]>;

/** Run a pipeline (one round trip) and return its replies in order, throwing the first error reply. */
export async function execPipeline(pipe: Pipe): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
