#!/bin/sh
# Reproduce the README's `bench` figures: builds, then runs scripts/bench.mjs (see its header for the knobs).
set -e
cd "$(dirname "$0")/.."
npm run build >/dev/null
exec node scripts/bench.mjs "$@"
