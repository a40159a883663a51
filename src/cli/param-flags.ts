import type { NameParam } from "../runner/types.js";

/**
 * The CLI's words for scenario parameters in messages: its flags. Scenarios name a parameter through `nameParam`
 * (src/runner/types.ts) and never a flag (test/architecture/no-cli-flags.test.ts); every run the CLI opens words
 * them with this.
 */
export const PARAM_FLAGS: Readonly<Record<string, string>> = { serverBinary: "--server-binary" };

export const flagOfParam: NameParam = (param) => PARAM_FLAGS[param] ?? param;
