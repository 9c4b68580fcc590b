#!/usr/bin/env bash
# Issue 24's "suite that passes every time": run .ci/run N times in a row, each on a clean clone of the
# current commit (with shared/ beside it, as CI has it), while another edition (2018) is built beside it
# in a loop. Prints each run's duration and exit code; exits non-zero if any run failed.
set -uo pipefail
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ci-repeat.XXXXXX)
ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"
(
    # a whole build each time (its own empty outputs/ and PREFECT_HOME: nothing reused from the last one)
    while true; do
        rm -rf "$work/beside-outputs" "$work/beside-prefect"
        PREFECT_HOME="$work/beside-prefect" "$root/.venv/bin/fir" build --region hauts-de-france --year 2018 \
            --inputs "$root/inputs" --outputs "$work/beside-outputs" >> "$work/beside.log" 2>&1
        echo "build beside: exit $?" >> "$work/beside.log"
    done
) &
beside=$!
trap 'kill -- -$beside 2>/dev/null; pkill -P $beside 2>/dev/null; kill $beside 2>/dev/null' EXIT
failed=0
for i in $(seq 1 "$runs"); do
    rm -rf "$work/main"
    git clone -q "$root" "$work/main"
    start=$(date +%s)
    (cd "$work/main" && CI=true bash .ci/run < /dev/null > "$work/run-$i.log" 2>&1)
    code=$?
    took=$(( $(date +%s) - start ))
    summary=$(grep -E '^=+ .*(passed|failed).* =+$' "$work/run-$i.log" | tail -1)
    printf 'run %d: exit %d in %d min %02d s — %s\n' "$i" "$code" $((took / 60)) $((took % 60)) "$summary"
    [ "$code" -eq 0 ] || failed=1
done
echo "builds beside: $(grep -c 'build beside: exit 0' "$work/beside.log") complete, $(grep -c 'build beside: exit [1-9]' "$work/beside.log") failed"
exit $failed
