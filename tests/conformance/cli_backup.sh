#!/usr/bin/env bash
# Runs the action's job with the Azure CLI against the simulator.
#
#   cli_backup.sh setup CONFIG_DIR READY_JSON
#       Turns instance discovery and telemetry off and registers the simulator's ARM endpoint as a
#       custom cloud in the Azure CLI configuration directory CONFIG_DIR (created if missing).
#   cli_backup.sh run CONFIG_DIR READY_JSON TENANT CLIENT SUBSCRIPTION RESOURCE_GROUP VAULT VM...
#       Signs in with a federated token from the simulated GitHub service, starts an on-demand
#       backup of each VM (`az backup protection backup-now`, which waits for the operation), then
#       waits for each job (`az backup job wait`). Prints "VM JOB_ID STATUS" per VM and exits 1
#       unless every job completed. SUBSCRIPTION is not used.
#   cli_backup.sh workflow CONFIG_DIR READY_JSON TENANT CLIENT SUBSCRIPTION RESOURCE_GROUP VAULT VM...
#       The same job as a workflow runs it with the azure/login action, whose CLI sign-in runs
#       `az version`, `az cloud set`, `az login` and `az account set --subscription` (read from
#       its source, src/Cli/AzureCliLogin.ts, on 2026-12-04), then the same backup commands.
#
# Needs `az` and `python` on PATH (the conformance virtual environment) and the environment that
# run.sh exports: REQUESTS_CA_BUNDLE, a dead HTTPS_PROXY with NO_PROXY for loopback, telemetry off.
set -euo pipefail

# Name of the custom cloud that points at the simulator.
readonly CLOUD_NAME=AzureBackupSimulator

# Days to keep the on-demand recovery points: the action's `retention-days` default, and the
# CLI's own default.
readonly RETENTION_DAYS=30

ready_value() {
  python -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

command=$1
export AZURE_CONFIG_DIR=$2
ready=$3

case "$command" in
  setup)
    mkdir -p "$AZURE_CONFIG_DIR"
    az config set core.instance_discovery=false core.collect_telemetry=false \
      core.survey_message=false core.no_color=true --only-show-errors >/dev/null
    az cloud register --name "$CLOUD_NAME" \
      --endpoint-resource-manager "$(ready_value "$ready" resource_manager_endpoint)" \
      --only-show-errors >/dev/null
    az cloud set --name "$CLOUD_NAME" --only-show-errors >/dev/null
    ;;
  run | workflow)
    tenant=$4 client=$5 subscription=$6 resource_group=$7 vault=$8
    shift 8
    if [ "$command" = workflow ]; then
      az version --only-show-errors >/dev/null
      az cloud set --name "$CLOUD_NAME" --only-show-errors >/dev/null
    fi
    token=$(python "$(dirname "$0")/simlog.py" github-token "$ready")
    az login --service-principal --username "$client" --tenant "$tenant" \
      --federated-token "$token" --only-show-errors --output none
    if [ "$command" = workflow ]; then
      az account set --subscription "$subscription" --only-show-errors
    fi

    # `--retain-until` takes dd-mm-yyyy.
    retain_until=$(date -u -d "+$RETENTION_DAYS days" +%d-%m-%Y)
    job_ids=()
    for vm in "$@"; do
      job_ids+=("$(az backup protection backup-now --resource-group "$resource_group" \
        --vault-name "$vault" --container-name "$vm" --item-name "$vm" \
        --backup-management-type AzureIaasVM --workload-type VM --retain-until "$retain_until" \
        --only-show-errors --query name --output tsv)")
    done

    failed=0
    index=0
    for vm in "$@"; do
      job_id=${job_ids[$index]}
      index=$((index + 1))
      status=$(az backup job wait --resource-group "$resource_group" --vault-name "$vault" \
        --name "$job_id" --only-show-errors --query properties.status --output tsv)
      echo "$vm $job_id $status"
      [ "$status" = Completed ] || failed=1
    done
    exit "$failed"
    ;;
  *)
    echo "usage: $0 setup|run|workflow CONFIG_DIR READY_JSON ..." >&2
    exit 2
    ;;
esac
