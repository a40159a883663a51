#!/bin/bash
# Is smoke honest on a busy runner? (docs/ci.md#soak) Against a throwaway redis-server on a free port, under
# ../shared/tools/under-load (two busy processes per core), run `smoke` RUNS times in a row — none may fail (an
# inconclusive scenario is counted, not a failure) — then `lock --algo watchdog --no-renew` BROKEN times under the
# same load: each must still fail its "no double hold" check. Prints a line per run and the counts; exit 0 when both
# hold, 1 otherwise. Never touches 127.0.0.1:6379.
#
#   scripts/smoke-soak.sh [--runs N] [--broken N] [--no-load] [--keep-logs] [-- SMOKE-ARGS...]
#
# UNDER_LOAD=path overrides where the load tool is looked for (../shared/tools/under-load beside the clone, or
# beside its parent for a worktree). REDIS_SERVER=path picks the server binary (default: redis-server on PATH).
set -u
cd "$(dirname "$0")/.."
root=$PWD

runs=20
broken=3
load=1
keep=0
extra=()
while (($# > 0)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --broken) broken=$2; shift 2 ;;
    --no-load) load=0; shift ;;
    --keep-logs) keep=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "smoke-soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Re-run this script under the load tool once, with the load already on (so every run sees the same load).
if ((load == 1)) && [[ -z ${SMOKE_SOAK_LOADED:-} ]]; then
  tool=${UNDER_LOAD:-}
  if [[ -z $tool ]]; then
    for candidate in ../shared/tools/under-load ../../shared/tools/under-load; do
      [[ -x $candidate ]] && tool=$candidate && break
    done
  fi
  [[ -n $tool && -x $tool ]] || { echo "smoke-soak: no under-load tool (set UNDER_LOAD=…, or --no-load)" >&2; exit 2; }
  args=(--runs "$runs" --broken "$broken")
  ((keep == 1)) && args+=(--keep-logs)
  SMOKE_SOAK_LOADED=1 exec "$tool" -- "$0" "${args[@]}" -- "${extra[@]}"
fi

[[ -f dist/bundle/cli.js ]] || npm run build >/dev/null || exit 2
cli=(node "$root/bin/redis-patterns.js")
server=${REDIS_SERVER:-redis-server}
work=$(mktemp -d "${TMPDIR:-/tmp}/smoke-soak.XXXXXX")
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --enable-debug-command yes \
  >"$work/redis.log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  if ((keep == 1)); then echo "smoke-soak: logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 100); do
  "${cli[@]}" doctor --url "redis://127.0.0.1:$port" --only hll --pings 1 >/dev/null 2>&1 && break
  sleep 0.1
done
url="redis://127.0.0.1:$port"
loadavg() { cut -d' ' -f1 /proc/loadavg; }

echo "smoke-soak: $runs smoke runs, then $broken × lock --algo watchdog --no-renew, against $url ($("$server" --version | cut -d' ' -f3)); load $(cut -d' ' -f1-3 /proc/loadavg)"
# One line per run: exit code, the five counts, the scenarios that were not passed, and the load average.
summarize='
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const c = { passed: 0, failed: 0, errored: 0, skipped: 0, inconclusive: 0 };
for (const s of r.scenarios) c[s.status]++;
const odd = r.scenarios.filter((s) => s.status !== "passed").map((s) => {
  const why = s.status === "failed" ? s.checks.filter((x) => !x.ok).map((x) => x.name).join(" / ")
    : s.error ?? s.skipped ?? s.inconclusive ?? "";
  return `${s.id} ${s.status}: ${why}`;
});
console.log([Object.entries(c).map(([k, v]) => `${v} ${k}`).join(", "), ...odd.map((o) => "    " + o)].join("\n"));
for (const k of Object.keys(c)) require("fs").appendFileSync(process.argv[2], `${k} ${c[k]}\n`);
for (const s of r.scenarios.filter((s) => s.status === "inconclusive"))
  require("fs").appendFileSync(process.argv[2], `inconclusive-id ${s.id}\n`);
'
failedRuns=0
loads=()
for ((i = 1; i <= runs; i++)); do
  started=$SECONDS
  "${cli[@]}" smoke --url "$url" --json "${extra[@]}" >"$work/smoke-$i.json" 2>"$work/smoke-$i.err"
  code=$?
  loads+=("$(loadavg)")
  line=$(node -e "$summarize" "$work/smoke-$i.json" "$work/counts" 2>&1) || line="no report: $(tail -n 3 "$work/smoke-$i.err")"
  ((code != 0)) && failedRuns=$((failedRuns + 1)) && keep=1
  printf 'run %2d: exit %d in %3d s, load %s: %s\n' "$i" "$code" $((SECONDS - started)) "${loads[-1]}" "$line"
done

caught=0
for ((i = 1; i <= broken; i++)); do
  "${cli[@]}" lock --algo watchdog --no-renew --url "$url" --json >"$work/broken-$i.json" 2>"$work/broken-$i.err"
  code=$?
  loads+=("$(loadavg)")
  held=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const s = r.scenarios[0];
    const c = s.checks.find((x) => x.name.startsWith("no double hold"));
    console.log(s.status === "failed" && c && !c.ok ? "caught" : `not caught (${s.status}${s.inconclusive ? ": " + s.inconclusive : ""})`);
  ' "$work/broken-$i.json" 2>&1)
  [[ $code == 1 && $held == caught ]] && caught=$((caught + 1)) || keep=1
  printf 'watchdog --no-renew %d: exit %d, double hold %s, load %s\n' "$i" "$code" "$held" "${loads[-1]}"
done

total() { awk -v k="$1" '$1 == k { n += $2 } END { print n + 0 }' "$work/counts" 2>/dev/null; }
inconclusiveIds=$(awk '$1 == "inconclusive-id" { print $2 }' "$work/counts" 2>/dev/null | sort | uniq -c | awk '{ printf "%s%s ×%s", sep, $2, $1; sep = ", " }')
range=$(printf '%s\n' "${loads[@]}" | sort -n | sed -n '1p;$p' | paste -sd' ')
echo "smoke-soak: smoke $((runs - failedRuns))/$runs runs ok, $failedRuns failed; scenarios: $(total passed) passed, $(total failed) failed, $(total errored) errored, $(total skipped) skipped, $(total inconclusive) inconclusive${inconclusiveIds:+ ($inconclusiveIds)}"
echo "smoke-soak: watchdog --no-renew caught the double hold in $caught/$broken runs; load average (1 min) from ${range/ / to }"
((failedRuns == 0 && caught == broken))
