#!/usr/bin/env bash
# Measures the shipped (static, release) binary on the demo's job with one VM: sign-in, trigger,
# operation poll and job polls against the simulator on loopback. Prints the median of RUNS runs
# of wall time, CPU time (perf's task-clock: user + system, in ms) and peak RSS (GNU time), as a
# Markdown table. GNU time's own CPU figures tick in 10 ms steps, too coarse for this binary.
#
# Usage: bench/backup-one-item.sh [RUNS]   (default 5)
# Needs: perf (Debian's linux-perf), dist/build-release.sh to have built dist/x86_64-unknown-linux-gnu/azure-backup-oidc
#        (this script runs it when the binary is missing) and /usr/bin/time (GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
binary=dist/x86_64-unknown-linux-gnu/azure-backup-oidc
[ -x "$binary" ] || dist/build-release.sh
cargo build --quiet --bin azure-backup-sim

work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/scenario.json" <<'JSON'
{ "arm": { "operation_retry_after_seconds": 1, "operation_duration_seconds": 1,
           "vaults": [ { "protected_items": [ { "vm_name": "vm-app01",
                         "job": { "duration_seconds": 2, "outcome": "Completed" } } ] } ] } }
JSON
target/debug/azure-backup-sim --scenario "$work/scenario.json" --state-dir "$work/state" --ignore-stdin >/dev/null &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/state/ready.json" ] && break; sleep 0.1; done
ready() { python3 -c "import json,sys; print(json.load(open('$work/state/ready.json'))['$1'])"; }

# One step, as the runner would start it, with the measuring tool given as arguments.
run_step() {
  : > "$work/out"; : > "$work/summary"
  env -i PATH="$PATH" GITHUB_ACTIONS=true NO_PROXY=127.0.0.1 \
    GITHUB_OUTPUT="$work/out" GITHUB_STEP_SUMMARY="$work/summary" \
    ACTIONS_ID_TOKEN_REQUEST_URL="$(ready id_token_request_url)" \
    ACTIONS_ID_TOKEN_REQUEST_TOKEN="$(ready id_token_request_token)" \
    INPUT_CLIENT-ID=00000000-0000-0000-0000-000000000001 \
    INPUT_TENANT-ID=00000000-0000-0000-0000-000000000002 \
    INPUT_SUBSCRIPTION-ID=00000000-0000-0000-0000-000000000003 \
    INPUT_RESOURCE-GROUP=rg-backup INPUT_VAULT=rsv-contoso INPUT_ITEMS=vm-app01 \
    INPUT_POLL-INTERVAL=1s \
    INPUT_AUTHORITY-HOST="$(ready authority_host)" \
    INPUT_RESOURCE-MANAGER-ENDPOINT="$(ready resource_manager_endpoint)" \
    INPUT_CA-CERTIFICATES="$(ready ca_file)" \
    "$@" "$binary" >/dev/null
  grep -q '^Completed$' "$work/out" || { echo "a step did not complete" >&2; exit 1; }
}

# perf and GNU time each measure a run of their own, interleaved, so neither counts the other.
for run in $(seq "$runs"); do
  run_step perf stat -e task-clock -x, -o "$work/perf.$run"
  run_step /usr/bin/time -f '%e %U %S %M' -o "$work/time.$run"
done

python3 - "$work" "$runs" "$binary" <<'PY'
import os, statistics, sys
work, runs, binary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [open(f"{work}/time.{i}").read().split() for i in range(1, runs + 1)]
wall = statistics.median(float(r[0]) for r in rows)
def task_clock(i):
    for line in open(f"{work}/perf.{i}"):
        fields = line.split(",")
        if len(fields) > 2 and fields[2] == "task-clock":
            return float(fields[0])
    raise SystemExit(f"no task-clock in perf output of run {i}")
cpu_ms = statistics.median(task_clock(i) for i in range(1, runs + 1))
rss = statistics.median(int(r[3]) for r in rows)
size = os.path.getsize(binary)
print("| runs | wall (median) | CPU task-clock (median) | peak RSS (median) | binary size |")
print("| --- | --- | --- | --- | --- |")
print(f"| {runs} | {wall:.2f} s | {cpu_ms:.1f} ms | {rss / 1024:.1f} MiB | {size / 1e6:.2f} MB |")
PY
