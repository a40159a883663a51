#!/usr/bin/env node
import { main } from "../dist/src/cli/main.js";

const code = await main(process.argv);
// Let stdout drain (it may be a pipe) before exiting with the code main decided.
process.stdout.write("", () => process.exit(code));
