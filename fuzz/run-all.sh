#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each and prints, per target, the executions and the findings.
#
#   ./run-all.sh SECONDS [TARGET...]      (from anywhere; JOBS=2 targets run at a time by default)
#
# New inputs go to a throwaway working corpus under $FUZZ_WORK (default: a fresh temp dir), seeded from the
# committed corpus/<target>/ seeds, so the committed corpora never grow. Crashes land in artifacts/<target>/
# (gitignored): each one must become a regression test in the crate's own tests. Exit status 1 if any target
# found something. Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail

SECONDS_EACH="${1:?usage: run-all.sh SECONDS [TARGET...]}"
shift
cd "$(dirname "$0")"
JOBS="${JOBS:-2}"
WORK="${FUZZ_WORK:-$(mktemp -d -t custodia-fuzz.XXXXXX)}"
mkdir -p "$WORK"

if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo +nightly fuzz list | grep -v '^seeds$')
fi

cargo +nightly fuzz build >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 2; }
BIN="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

run_one() {
    local t="$1"
    mkdir -p "$WORK/corpus/$t" "corpus/$t" "artifacts/$t"
    # -rss_limit_mb: the import target allocates little; a blow-up is a finding.
    # The binaries built once above run directly, so that a source edit elsewhere during a long run cannot
    # trigger a rebuild between targets.
    if "$BIN/$t" "$WORK/corpus/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
        >"$WORK/$t.log" 2>&1; then
        echo ok >"$WORK/$t.status"
    else
        echo "FAILED (exit $?)" >"$WORK/$t.status"
    fi
}

running=0
for t in "${TARGETS[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

status=0
printf '%-22s %14s %10s %s\n' target executions seconds findings
for t in "${TARGETS[@]}"; do
    log="$WORK/$t.log"
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]* *DONE' "$log" | tail -1 | tr -dc 0-9)
    secs=$(grep -o 'stat::slowest_unit_time_sec: [0-9]*' "$log" >/dev/null && echo "$SECONDS_EACH" || echo "?")
    findings=$(ls "artifacts/$t" 2>/dev/null | grep -E '^(crash|leak|timeout|oom)-' | tr '\n' ' ' || true)
    if [ "$(cat "$WORK/$t.status")" != ok ] || [ -n "$findings" ]; then
        status=1
        [ -n "$findings" ] || findings="$(cat "$WORK/$t.status"), see $log"
    else
        findings=none
    fi
    printf '%-22s %14s %10s %s\n' "$t" "${execs:-?}" "$secs" "$findings"
done
echo "logs and working corpora: $WORK"
exit "$status"
