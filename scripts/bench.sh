#!/bin/sh
# Reproduce the figures in docs/bench.md: builds, prints the start-up figures (scripts/startup.mjs: --help,
# `ratelimit --help` and a whole ratelimit run against `node -e 0`), then runs scripts/bench.mjs (see its header for
# the knobs). BENCH_STARTUP=0 skips the start-up figures; BENCH_STARTUP_ONLY=1 prints only them.
set -e
cd "$(dirname "$0")/.."
npm run build >/dev/null
if [ "${BENCH_STARTUP:-1}" != "0" ]; then node scripts/startup.mjs; fi
if [ "${BENCH_STARTUP_ONLY:-0}" = "1" ]; then exit 0; fi
exec node scripts/bench.mjs "$@"
