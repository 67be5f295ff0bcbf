#!/usr/bin/env bash
# Runs every PorBot test on a fresh machine: installs what the tests need (npm packages for the card
# validator, Azurite and the Agents Playground, Debian Chromium), builds in Release with warnings as errors,
# runs the .NET suites, then the end-to-end chat in the Agents Playground under headless Chromium, then the
# benchmark harness's smoke run (`bench/run --smoke`, counted as one test: it proves the harness still works;
# its figures are not judged). Ends with one line: "N passed, N failed[, N skipped]". Exit code is non-zero if
# anything failed.
#
#   ./test.sh              everything
#   ./test.sh --no-e2e     .NET suites only (quicker while coding; no bench smoke either)
#   ./test.sh --no-bench   everything but the bench smoke
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")"

e2e=1 bench=1
for arg in "$@"; do
  case "$arg" in
    --no-e2e) e2e=0 bench=0 ;;
    --no-bench) bench=0 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

out=test-output
mkdir -p "$out"
passed=0 failed=0 skipped=0 broken=0

log() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

ensure_prerequisites() {
  command -v dotnet >/dev/null || { echo "test.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 2; }
  command -v node >/dev/null && command -v npm >/dev/null || { echo "test.sh: Node.js 20+ with npm is required" >&2; exit 2; }
  for dir in tests/tools tests/e2e; do
    [ -f "$dir/package-lock.json" ] || continue
    stamp="$dir/node_modules/.porbot-lock.sha256"
    want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      log "npm ci in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { echo "test.sh: npm ci failed in $dir" >&2; exit 2; }
      echo "$want" > "$stamp"
    fi
  done
  if [ ! -x "${PORBOT_CHROMIUM:-/usr/bin/chromium}" ]; then
    log "installing Debian chromium (card rendering and end-to-end tests need it)"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium \
      || { echo "test.sh: could not install chromium; install it (apt-get install chromium) and run again" >&2; exit 2; }
  fi
}

run_dotnet() {
  log "dotnet build (Release, warnings as errors)"
  if ! dotnet build PorBot.sln -c Release -nologo -v q; then
    echo "test.sh: build failed" >&2; broken=1; return
  fi
  log "dotnet test"
  dotnet test PorBot.sln -c Release --no-build -nologo --logger "trx" --results-directory "$out/dotnet" \
    --collect "XPlat Code Coverage" 2>&1 | tee "$out/dotnet-test.log"
  local code=${PIPESTATUS[0]}
  # One summary line per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
  local counts
  counts=$(grep -E '^(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$out/dotnet-test.log" |
    sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/' |
    awk '{f+=$1; p+=$2; s+=$3} END {print f+0, p+0, s+0}')
  read -r f p s <<< "$counts"
  failed=$((failed + f)); passed=$((passed + p)); skipped=$((skipped + s))
  if [ "$code" != 0 ] && [ "$f" = 0 ]; then broken=1; echo "test.sh: dotnet test exited $code without a failing test (crashed test host?)" >&2; fi
}

run_e2e() {
  log "end-to-end: Agents Playground in headless Chromium"
  # Runs the Release build made above: src/PorBot/bin/Release/net10.0/PorBot.dll (see tests/e2e/README.md).
  (cd tests/e2e && npm test --silent 2>&1) | tee "$out/e2e.log"
  local code=${PIPESTATUS[0]}
  local p f s
  p=$(grep -E '^ℹ pass [0-9]+' "$out/e2e.log" | tail -1 | grep -oE '[0-9]+$'); p=${p:-0}
  f=$(grep -E '^ℹ fail [0-9]+' "$out/e2e.log" | tail -1 | grep -oE '[0-9]+$'); f=${f:-0}
  s=$(grep -E '^ℹ skipped [0-9]+' "$out/e2e.log" | tail -1 | grep -oE '[0-9]+$'); s=${s:-0}
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$code" != 0 ] && [ "$f" = 0 ]; then broken=1; echo "test.sh: end-to-end run exited $code without a failing test" >&2; fi
}

run_bench_smoke() {
  log "benchmark harness smoke run (bench/run --smoke)"
  # Exit 0: every benchmark ran (a missed target does not count: smoke figures are indicative); 1: one broke.
  if bench/run --smoke > "$out/bench-smoke.log" 2>&1; then
    passed=$((passed + 1)); tail -n 25 "$out/bench-smoke.log"
  else
    failed=$((failed + 1)); tail -n 60 "$out/bench-smoke.log"; echo "test.sh: bench/run --smoke failed (log: $out/bench-smoke.log)" >&2
  fi
}

ensure_prerequisites
run_dotnet
if [ "$e2e" = 1 ] && [ "$broken" = 0 ]; then run_e2e; fi
if [ "$bench" = 1 ] && [ "$broken" = 0 ]; then run_bench_smoke; fi

echo
if [ "$broken" != 0 ]; then failed=$((failed + 1)); fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]
