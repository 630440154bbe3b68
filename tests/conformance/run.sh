#!/usr/bin/env bash
# Conformance of the simulator with two real clients that this project did not write: the Azure CLI
# and the Azure SDK for Python. Each signs in with a federated token from the simulated GitHub
# service, starts an on-demand VM backup and waits for its job, exactly the action's job. The SDK
# also starts an ad-hoc backup of a Backup vault instance (azure-mgmt-dataprotection). The Azure
# CLI does that through its `dataprotection` extension, which is not run here, because
# `az extension add` downloads it from Microsoft's extension index rather than PyPI. A
# request that the simulator rejects with a status of 400 or more fails the run, because a real
# client sent it, so Azure serves it, and the simulator must too.
#
# Usage: tests/conformance/run.sh
# Installs the clients (versions pinned in requirements.txt) into target/conformance-venv once
# (install-clients.sh) and builds the simulator (debug). Sends traffic only to the simulator on
# 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/conformance

# Time allowed for one client's whole run. The CLI's `az backup job wait` polls every 30 s and
# the scenario's jobs end within 10 s, so a run takes about a minute. One that reaches 5 minutes
# has hung.
readonly CLIENT_TIMEOUT_SECONDS=300

# shellcheck source=tests/conformance/lib.sh
source "$here/lib.sh"

venv=$PWD/target/conformance-venv
bash "$here/install-clients.sh" "$venv"
export PATH="$venv/bin:$PATH"

cargo build --quiet --locked --bin azure-backup-sim

work=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/state"
start_simulator "$PWD/$here/scenario.json" "$work/state"
ready=$work/state/ready.json
export_loopback_environment "$ready"

log_count() { python "$here/simlog.py" count "$ready"; }
passed=0
failed=0

echo "Azure CLI $(az version --query '"azure-cli"' --output tsv 2>/dev/null)"
cli_start=$(log_count)
bash "$here/cli_backup.sh" setup "$work/az" "$ready"
# `workflow` signs in as the azure/login action does, so its commands are covered too.
if timeout "$CLIENT_TIMEOUT_SECONDS" bash "$here/cli_backup.sh" workflow "$work/az" "$ready" \
  "$TENANT" "$CLIENT" "$SUBSCRIPTION" rg-backup rsv-contoso vm-cli01; then
  passed=$((passed + 1))
else
  echo "error: the Azure CLI's backup job did not complete" >&2
  failed=$((failed + 1))
fi
cli_end=$(log_count)

echo "Azure SDK for Python (azure-identity, azure-mgmt-recoveryservicesbackup)"
if timeout "$CLIENT_TIMEOUT_SECONDS" python "$here/sdk_backup.py" --ready "$ready" \
  --tenant "$TENANT" --client "$CLIENT" --subscription "$SUBSCRIPTION" \
  --resource-group rg-backup --vault rsv-contoso --items vm-sdk01; then
  passed=$((passed + 1))
else
  echo "error: the Python SDK's backup job did not complete" >&2
  failed=$((failed + 1))
fi
sdk_end=$(log_count)

echo "Azure SDK for Python, Backup vault (azure-identity, azure-mgmt-dataprotection)"
if timeout "$CLIENT_TIMEOUT_SECONDS" python "$here/sdk_backup_vault.py" --ready "$ready" \
  --tenant "$TENANT" --client "$CLIENT" --subscription "$SUBSCRIPTION" \
  --resource-group rg-backup --vault bv-contoso --items disk-sdk01 --rule BackupDaily; then
  passed=$((passed + 1))
else
  echo "error: the Python SDK's Backup vault job did not complete" >&2
  failed=$((failed + 1))
fi
vault_end=$(log_count)

echo
echo "Calls covered (from the simulator's request log):"
if python "$here/simlog.py" report "$ready" \
  "Azure CLI=$cli_start:$cli_end" "Azure SDK for Python=$cli_end:$sdk_end" \
  "Azure SDK for Python, Backup vault=$sdk_end:$vault_end"; then
  passed=$((passed + 1))
else
  echo "error: the simulator rejected requests of a real client (listed above)" >&2
  failed=$((failed + 1))
fi

# Four checks: each client's job completed, and the simulator served every request.
echo "conformance: $passed passed, $failed failed"
if [ "$failed" != 0 ]; then
  echo "--- simulator log" >&2
  tail -n 50 "$work/state.log" >&2
  exit 1
fi
