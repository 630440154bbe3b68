"""Run the action's Backup vault job with the Azure SDK for Python against the simulator.

Sign in as sdk_backup.py does and list the Backup vault's backup instances. Start an ad-hoc
backup of each named instance by a backup rule and retention tag with azure-mgmt-dataprotection's
`backup_instances.begin_adhoc_backup`, which follows the operation to its job. Then poll the
jobs until they end. Every endpoint comes from the simulator's ready file, and instance
discovery is off, so nothing leaves loopback.

Prints one JSON line per instance with the job ID and status. Exits 0 when every job
completed, 1 otherwise.
"""

import argparse
import json
import sys
import time

from azure.identity import ClientAssertionCredential
from azure.mgmt.dataprotection import DataProtectionMgmtClient

from simlog import github_token

# Job statuses that mean the job is still running. The Data Protection job status is a free
# string; the simulator, like the disk backup documentation, moves from Started to InProgress.
RUNNING_JOB_STATUSES = ("Started", "InProgress", "Cancelling")

# Deadline for the whole run, so a job that never ends fails the run instead of hanging it.
# The conformance scenario ends its jobs within seconds.
RUN_TIMEOUT_SECONDS = 300


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready", required=True, help="the simulator's ready.json")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--subscription", required=True)
    parser.add_argument("--resource-group", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--items", required=True, help="instance names, separated by commas")
    parser.add_argument("--rule", required=True, help="the backup rule, such as BackupDaily")
    parser.add_argument("--tag", default="Default", help="the retention tag")
    parser.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between job status polls"
    )
    return parser.parse_args()


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
    client = DataProtectionMgmtClient(
        credential,
        arguments.subscription,
        base_url=arm,
        credential_scopes=[f"{arm}/.default"],
    )

    requested = [name.strip() for name in arguments.items.split(",") if name.strip()]
    instances = {}
    for instance in client.backup_instances.list(arguments.resource_group, arguments.vault):
        instances[instance.name.lower()] = instance.name
        if instance.properties and instance.properties.friendly_name:
            instances[instance.properties.friendly_name.lower()] = instance.name
    missing = [name for name in requested if name.lower() not in instances]
    if missing:
        raise SystemExit(f"no backup instance in the vault: {', '.join(missing)}")

    request = {
        "backupRuleOptions": {
            "ruleName": arguments.rule,
            "triggerOption": {"retentionTagOverride": arguments.tag},
        }
    }
    jobs = {}
    for name in requested:
        poller = client.backup_instances.begin_adhoc_backup(
            arguments.resource_group, arguments.vault, instances[name.lower()], request
        )
        result = poller.result(timeout=max(deadline - time.monotonic(), 1))
        # The job ID comes as a GUID or as the job's full ARM ID; the last segment is the ID.
        jobs[name] = result.job_id.rstrip("/").split("/")[-1]

    statuses = {}
    running = dict(jobs)
    while running:
        for name, job_id in list(running.items()):
            job = client.jobs.get(arguments.resource_group, arguments.vault, job_id)
            if job.properties.status not in RUNNING_JOB_STATUSES:
                statuses[name] = job.properties.status
                del running[name]
        if running:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the backup jobs did not end within {RUN_TIMEOUT_SECONDS} s")
            time.sleep(arguments.poll_interval)

    for name in requested:
        print(json.dumps({"item": name, "jobId": jobs[name], "status": statuses[name]}))
    return 0 if all(status == "Completed" for status in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
