"""Run the action's job with the Azure SDK for Python against the simulator.

Sign in with a GitHub OIDC token from the simulated GitHub service. azure-identity's
ClientAssertionCredential calls the token function for every new ARM token. Then list the
vault's protected VMs, start an on-demand backup of each named VM, follow each operation to
its job, and poll the jobs until they end. Every endpoint comes from the simulator's ready
file, and instance discovery is off, so nothing leaves loopback.

Prints one JSON line per item with the job ID and status. Exits 0 when every job
completed, 1 otherwise.
"""

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

from azure.identity import ClientAssertionCredential
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.recoveryservicesbackup.models import BackupRequestResource, IaasVMBackupRequest

from simlog import github_token

# The filter that lists protected Azure VMs, as Microsoft's BackupProtectedItems_List example
# writes it (and as the action sends it).
VM_ITEMS_FILTER = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"

# Job statuses that mean the job is still running.
RUNNING_JOB_STATUSES = ("InProgress", "Cancelling")

# Pause between operation polls when the service sends no Retry-After. ARM's async-operation
# contract leaves the interval to the client then; 5 s is the Azure CLI's.
DEFAULT_OPERATION_POLL_SECONDS = 5.0

# Deadline for the whole run, so a job that never ends fails the run instead of hanging it.
# The conformance and benchmark scenarios end their jobs within seconds.
RUN_TIMEOUT_SECONDS = 300


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready", required=True, help="the simulator's ready.json")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--subscription", required=True)
    parser.add_argument("--resource-group", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--items", required=True, help="VM names, separated by commas")
    parser.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between job status polls"
    )
    return parser.parse_args()


def name_after(resource_id, segment):
    """Return the path segment that follows `segment` (compared ignoring case) in an ARM ID."""
    parts = resource_id.split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == segment.lower():
            return parts[index + 1]
    raise ValueError(f"'{segment}' is missing from the resource ID '{resource_id}'")


def friendly_name(item):
    return item.properties.get("friendlyName", "")


def retry_after_seconds(headers, default):
    value = headers.get("Retry-After")
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def check_deadline(deadline, description):
    if time.monotonic() > deadline:
        raise TimeoutError(f"{description} did not end within {RUN_TIMEOUT_SECONDS} s")


def start_backup(client, arguments, item, expiry, deadline):
    """Trigger the backup of one protected item and return its job ID."""
    container = name_after(item.id, "protectionContainers")
    item_name = name_after(item.id, "protectedItems")
    request = BackupRequestResource(
        properties=IaasVMBackupRequest(recovery_point_expiry_time_in_utc=expiry)
    )
    headers = client.backups.trigger(
        arguments.vault,
        arguments.resource_group,
        "Azure",
        container,
        item_name,
        request,
        cls=lambda pipeline_response, _deserialized, _headers: pipeline_response.http_response.headers,
    )
    operation_id = urlparse(headers["Azure-AsyncOperation"]).path.rstrip("/").split("/")[-1]
    pause = retry_after_seconds(headers, DEFAULT_OPERATION_POLL_SECONDS)
    while True:
        time.sleep(pause)
        status = client.protected_item_operation_statuses.get(
            arguments.vault, arguments.resource_group, "Azure", container, item_name, operation_id
        )
        if status.status not in ("InProgress", "Invalid"):
            break
        check_deadline(deadline, f"the backup operation of {friendly_name(item)}")
    if status.status != "Succeeded":
        error = status.error
        raise RuntimeError(
            f"the backup of {friendly_name(item)} did not start: {status.status} "
            f"{error.code if error else ''} {error.message if error else ''}"
        )
    return status.properties.job_id


def main():
    arguments = parse_arguments()
    with open(arguments.ready, encoding="utf-8") as ready_file:
        ready = json.load(ready_file)
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS

    credential = ClientAssertionCredential(
        arguments.tenant,
        arguments.client,
        lambda: github_token(ready),
        authority=ready["authority_host"],
        disable_instance_discovery=True,
    )
    arm = ready["resource_manager_endpoint"]
    client = RecoveryServicesBackupClient(
        credential,
        arguments.subscription,
        base_url=arm,
        credential_scopes=[f"{arm}/.default"],
    )

    requested = [name.strip() for name in arguments.items.split(",") if name.strip()]
    listed = client.backup_protected_items.list(
        arguments.vault, arguments.resource_group, filter=VM_ITEMS_FILTER
    )
    # azure-mgmt-recoveryservicesbackup 11.1.0 maps only one level of `protectedItemType`, so a
    # VM item ("Microsoft.Compute/virtualMachines") comes back as the base ProtectedItem, without
    # a friendly_name attribute. The model is also a mapping of the JSON properties.
    by_name = {friendly_name(item).lower(): item for item in listed}
    missing = [name for name in requested if name.lower() not in by_name]
    if missing:
        raise SystemExit(f"not protected in the vault: {', '.join(missing)}")

    expiry = datetime.now(timezone.utc) + timedelta(days=30)
    jobs = {
        name: start_backup(client, arguments, by_name[name.lower()], expiry, deadline)
        for name in requested
    }

    statuses = {}
    running = dict(jobs)
    while running:
        for name, job_id in list(running.items()):
            job = client.job_details.get(arguments.vault, arguments.resource_group, job_id)
            if job.properties.status not in RUNNING_JOB_STATUSES:
                statuses[name] = job.properties.status
                del running[name]
        if running:
            check_deadline(deadline, "the backup jobs")
            time.sleep(arguments.poll_interval)

    for name in requested:
        print(json.dumps({"item": name, "jobId": jobs[name], "status": statuses[name]}))
    return 0 if all(status == "Completed" for status in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
