# Shell functions shared by tests/conformance/run.sh and bench/compare-clients.sh. Source it from
# the repository root.

# Time allowed for the simulator to write its ready file after it starts.
readonly SIMULATOR_START_TIMEOUT_SECONDS=30

# The scenario's tenant, app registration and subscription (the simulator's defaults).
readonly TENANT=00000000-0000-0000-0000-000000000002
readonly CLIENT=00000000-0000-0000-0000-000000000001
readonly SUBSCRIPTION=00000000-0000-0000-0000-000000000003

# Starts target/debug/azure-backup-sim with scenario $1 and state directory $2 (absolute) in the
# background, sets sim_pid, and waits for $2/ready.json. The log goes to $2.log.
start_simulator() {
  local scenario=$1 state_dir=$2
  target/debug/azure-backup-sim --scenario "$scenario" --state-dir "$state_dir" --ignore-stdin \
    >"$state_dir.log" 2>&1 &
  sim_pid=$!
  local attempt
  for attempt in $(seq $((SIMULATOR_START_TIMEOUT_SECONDS * 10))); do
    [ -s "$state_dir/ready.json" ] && return 0
    if ! kill -0 "$sim_pid" 2>/dev/null; then
      cat "$state_dir.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "error: the simulator wrote no ready file within $SIMULATOR_START_TIMEOUT_SECONDS s" >&2
  return 1
}

# Prints the value of key $2 in the ready file $1.
ready_value() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# Exports the variables that keep the Azure CLI and the Python SDK on loopback. They trust only the
# simulator's CA (ready file $1) and reach 127.0.0.1 directly. Anything else goes to a closed
# port, so a request that would leave this machine fails at once. Instance discovery, telemetry
# and extension installs are off.
export_loopback_environment() {
  REQUESTS_CA_BUNDLE=$(ready_value "$1" ca_file)
  export REQUESTS_CA_BUNDLE
  export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost
  export https_proxy=$HTTPS_PROXY http_proxy=$HTTP_PROXY no_proxy=$NO_PROXY
  export AZURE_CORE_INSTANCE_DISCOVERY=false AZURE_CORE_COLLECT_TELEMETRY=false
  export AZURE_EXTENSION_USE_DYNAMIC_INSTALL=no
}
