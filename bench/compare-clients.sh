#!/usr/bin/env bash
# Compares the shipped binary with the two clients users run today on the same job against one
# simulator: sign in with a GitHub OIDC token, start on-demand backups and wait for the jobs.
# The clients are the Azure SDK for Python (azure-identity + azure-mgmt-recoveryservicesbackup,
# tests/conformance/sdk_backup.py) and the Azure CLI (az login, az backup protection backup-now,
# az backup job wait: tests/conformance/cli_backup.sh), the CLI twice: signed in with `az login`
# alone, and signed in as the azure/login action does it. `/bin/true` runs beside them as the
# floor: what starting and ending any process costs on this machine. Two cases run: one VM, and
# ten VMs of one vault (bench/ten-vms.json: operations end after 1 s with `Retry-After: 1`, jobs
# after 2 s).
#
# Per tool and case it reports the medians of wall time, CPU time (perf's task-clock: user +
# system of the process and its children), peak RSS (GNU time: the largest single process) and
# HTTP requests (the simulator's request log, GitHub + Entra + ARM), and each tool's ratio to the
# binary's. perf and GNU time measure separate runs, and the tools take turns within each round.
#
# Usage: bench/compare-clients.sh [RUNS] [CLI_RUNS]   (defaults 5 and 3)
# Needs: perf (Debian's linux-perf), /usr/bin/time (GNU time), python3 with venv, and network
# access to PyPI on the first run (tests/conformance/install-clients.sh). Builds the binary with
# dist/build-release.sh when it is missing or older than its sources.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cli_runs=${2:-3}
binary=dist/x86_64-unknown-linux-gnu/azure-backup-oidc
conformance=tests/conformance

# shellcheck source=tests/conformance/lib.sh
source "$conformance/lib.sh"

# The binary is stale when a source it is built from changed after it (the simulator is not part
# of it).
if [ ! -x "$binary" ] ||
  [ -n "$(find src Cargo.toml Cargo.lock -newer "$binary" -not -path 'src/sim/*' -print -quit)" ]; then
  dist/build-release.sh >&2
fi
venv=$PWD/target/conformance-venv
bash "$conformance/install-clients.sh" "$venv"
cargo build --quiet --locked --bin azure-backup-sim

work=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_simulator "$PWD/bench/ten-vms.json" "$work/state"
ready=$work/state/ready.json
export_loopback_environment "$ready"
PATH="$venv/bin:$PATH" bash "$conformance/cli_backup.sh" setup "$work/az-setup" "$ready"

one_vm=(vm-app01)
ten_vms=(vm-app01 vm-app02 vm-app03 vm-app04 vm-app05 vm-app06 vm-app07 vm-app08 vm-app09 vm-app10)

# Runs one tool on the VMs "${@:3}" under the measuring command in $measure, and appends
# "CASE TOOL KIND VALUE_FILE REQUESTS" to $work/runs. $1 is the tool, $2 the measurement kind.
run_tool() {
  local tool=$1 kind=$2
  shift 2
  local vms=("$@")
  local case_name=one
  [ "${#vms[@]}" -gt 1 ] && case_name=ten
  local output=$work/$case_name.$tool.$kind.$RANDOM
  local before
  before=$(python3 "$conformance/simlog.py" count "$ready")

  local measure
  if [ "$kind" = perf ]; then
    measure=(perf stat -e task-clock -x, -o "$output")
  else
    measure=(/usr/bin/time -f '%e %M' -o "$output")
  fi

  case "$tool" in
    ours)
      : >"$work/github_output"
      local items
      items=$(IFS=,; echo "${vms[*]}")
      env -i PATH="$PATH" GITHUB_ACTIONS=true \
        HTTPS_PROXY="$HTTPS_PROXY" NO_PROXY="$NO_PROXY" \
        GITHUB_OUTPUT="$work/github_output" GITHUB_STEP_SUMMARY="$work/summary" \
        ACTIONS_ID_TOKEN_REQUEST_URL="$(ready_value "$ready" id_token_request_url)" \
        ACTIONS_ID_TOKEN_REQUEST_TOKEN="$(ready_value "$ready" id_token_request_token)" \
        INPUT_CLIENT-ID="$CLIENT" INPUT_TENANT-ID="$TENANT" INPUT_SUBSCRIPTION-ID="$SUBSCRIPTION" \
        INPUT_RESOURCE-GROUP=rg-backup INPUT_VAULT=rsv-contoso INPUT_ITEMS="$items" \
        INPUT_POLL-INTERVAL=1s \
        INPUT_AUTHORITY-HOST="$(ready_value "$ready" authority_host)" \
        INPUT_RESOURCE-MANAGER-ENDPOINT="$(ready_value "$ready" resource_manager_endpoint)" \
        INPUT_CA-CERTIFICATES="$(ready_value "$ready" ca_file)" \
        "${measure[@]}" "$binary" >"$work/last.log" 2>&1
      grep -q '^Completed$' "$work/github_output" || { cat "$work/last.log" >&2; exit 1; }
      ;;
    sdk)
      local items
      items=$(IFS=,; echo "${vms[*]}")
      "${measure[@]}" "$venv/bin/python" "$conformance/sdk_backup.py" --ready "$ready" \
        --tenant "$TENANT" --client "$CLIENT" --subscription "$SUBSCRIPTION" \
        --resource-group rg-backup --vault rsv-contoso --items "$items" --poll-interval 1 \
        >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }
      ;;
    cli | cli-workflow)
      local cli_command=run
      [ "$tool" = cli-workflow ] && cli_command=workflow
      rm -rf "$work/az-run"
      cp -r "$work/az-setup" "$work/az-run"
      PATH="$venv/bin:$PATH" "${measure[@]}" bash "$conformance/cli_backup.sh" "$cli_command" \
        "$work/az-run" "$ready" "$TENANT" "$CLIENT" "$SUBSCRIPTION" rg-backup rsv-contoso \
        "${vms[@]}" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }
      ;;
    floor)
      # A process that does nothing: what starting and ending any program costs here.
      "${measure[@]}" /bin/true
      ;;
  esac

  local after
  after=$(python3 "$conformance/simlog.py" count "$ready")
  echo "$case_name $tool $kind $output $((after - before))" >>"$work/runs"
}

for vms_name in one_vm ten_vms; do
  declare -n vms=$vms_name
  for round in $(seq "$runs"); do
    echo "${#vms[@]} VM(s), round $round of $runs" >&2
    tools=(floor ours sdk)
    [ "$round" -le "$cli_runs" ] && tools+=(cli cli-workflow)
    for kind in perf time; do
      for tool in "${tools[@]}"; do
        run_tool "$tool" "$kind" "${vms[@]}"
      done
    done
  done
  unset -n vms
done

python3 - "$work/runs" "$binary" <<'PY'
import collections, os, statistics, sys

runs_file, binary = sys.argv[1], sys.argv[2]
values = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(runs_file):
    case, tool, kind, output, requests = line.split()
    sample = values[(case, tool)]
    sample["requests"].append(int(requests))
    text = open(output).read()
    if kind == "perf":
        for row in text.splitlines():
            fields = row.split(",")
            if len(fields) > 2 and fields[2] == "task-clock":
                sample["cpu_ms"].append(float(fields[0]))
    else:
        wall, rss_kib = text.split()[-2:]
        sample["wall_s"].append(float(wall))
        sample["rss_mib"].append(int(rss_kib) / 1024)

names = {
    "floor": "`/bin/true` (start and exit only)",
    "ours": "azure-backup-oidc (this binary)",
    "sdk": "Azure SDK for Python",
    "cli": "Azure CLI: `az login`, backup commands",
    "cli-workflow": "Azure CLI as azure/login signs in, backup commands",
}
titles = {"one": "One VM: sign-in, trigger, wait", "ten": "Ten VMs of one vault: sign-in, trigger, wait"}
for case in ("one", "ten"):
    print(f"### {titles[case]}\n")
    print("| client | runs | wall (median) | CPU (median) | peak RSS (median) | HTTP requests (median) | CPU vs ours | RSS vs ours | requests vs ours |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ours = {key: statistics.median(list_) for key, list_ in values[(case, "ours")].items()}
    for tool in ("floor", "ours", "sdk", "cli", "cli-workflow"):
        sample = values.get((case, tool))
        if not sample:
            continue
        median = {key: statistics.median(list_) for key, list_ in sample.items()}
        ratio = lambda key: "1" if tool == "ours" else f"{median[key] / ours[key]:,.1f}x"
        print(
            f"| {names[tool]} | {len(sample['cpu_ms'])} | {median['wall_s']:.2f} s | {median['cpu_ms']:,.1f} ms "
            f"| {median['rss_mib']:.1f} MiB | {median['requests']:g} | {ratio('cpu_ms')} | {ratio('rss_mib')} "
            f"| {ratio('requests')} |"
        )
    print()
print(f"Binary size: {os.path.getsize(binary) / 1e6:.2f} MB ({os.path.getsize(binary)} bytes)")
PY
