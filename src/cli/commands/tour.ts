import { UsageError } from "../../errors.js";
import type { TourCliOptions } from "../options/tour.js";
import { interactiveProblem } from "../tour/interactive.js";

/** `redis-patterns tour [pattern]`: refuse at once where nobody can answer a prompt, else open the tour. */
export async function tourCommand(opts: TourCliOptions): Promise<void> {
  const problem = interactiveProblem(opts);
  if (problem) {
    throw new UsageError(
      `tour is interactive and cannot run here (${problem}): run a pattern command instead, e.g. ` +
        `redis-patterns ratelimit, or smoke for all of them`,
    );
  }
  const { runTour } = await import("../tour/tour.js");
  await runTour(opts);
}
