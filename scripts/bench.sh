#!/bin/sh
# Reproduce the `bench` figures in docs/bench.md: builds, then runs scripts/bench.mjs (see its header for the knobs).
set -e
cd "$(dirname "$0")/.."
npm run build >/dev/null
exec node scripts/bench.mjs "$@"
