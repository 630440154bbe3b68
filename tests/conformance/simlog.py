"""Helpers for the conformance and benchmark scripts that talk to a running simulator.

    simlog.py github-token READY_JSON
        Print a new GitHub OIDC token for Entra's exchange audience.
    simlog.py count READY_JSON
        Print the number of entries in the simulator's request log.
    simlog.py report READY_JSON CLIENT=START:END...
        Print, per client, the calls it made (method and path pattern, with counts and statuses)
        from the request log entries START to END (END excluded). Exit 1 if any of those
        requests got a status of 400 or more, which means the simulator could not serve a real
        client as Azure would.

The admin endpoints need no authentication. Every request goes to the loopback addresses in
the ready file, never through a proxy.
"""

import json
import ssl
import sys
import urllib.request
from collections import defaultdict
from urllib.parse import quote

# The audience that Entra ID expects in a federated GitHub token.
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"

# Time allowed for one request to the simulator, which replies at once on loopback.
REQUEST_TIMEOUT_SECONDS = 10

# Path segments of ARM and Recovery Services paths that a name or ID follows, with the
# placeholder that replaces that name in a path pattern (the parameter names of the REST specs).
NAME_PLACEHOLDERS = {
    "subscriptions": "{subscriptionId}",
    "resourcegroups": "{resourceGroupName}",
    "vaults": "{vaultName}",
    "backupfabrics": "{fabricName}",
    "protectioncontainers": "{containerName}",
    "protecteditems": "{protectedItemName}",
    "operationsstatus": "{operationId}",
    "operationresults": "{operationId}",
    "backupoperations": "{operationId}",
    "backupjobs": "{jobName}",
    "backupvaults": "{vaultName}",
    "backupinstances": "{backupInstanceName}",
    "operationstatus": "{operationId}",
}


def open_url(ready, url, headers=None):
    """GET `url` from the simulator, trusting only its CA, and return the decoded JSON."""
    context = ssl.create_default_context(cafile=ready["ca_file"])
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    request = urllib.request.Request(url, headers=headers or {})
    with opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
        return json.load(response)


def github_token(ready):
    url = f"{ready['id_token_request_url']}&audience={quote(EXCHANGE_AUDIENCE, safe='')}"
    headers = {"Authorization": f"Bearer {ready['id_token_request_token']}"}
    return open_url(ready, url, headers)["value"]


def request_log(ready):
    return open_url(ready, f"{ready['admin_url']}/requests")


def path_pattern(service, path):
    """Replace the names and IDs in a logged path with placeholders."""
    segments = [segment for segment in path.split("/") if segment]
    if service == "entra" and segments:
        segments[0] = "{tenant}"
    for index in range(len(segments) - 1):
        placeholder = NAME_PLACEHOLDERS.get(segments[index].lower())
        if placeholder:
            segments[index + 1] = placeholder
    return "/" + "/".join(segments)


def report(ready, ranges):
    log = request_log(ready)
    failures = []
    for label, (start, end) in ranges:
        calls = defaultdict(lambda: {"count": 0, "statuses": set()})
        entries = log[start:end]
        for entry in entries:
            call = calls[(entry["service"], entry["method"], path_pattern(entry["service"], entry["path"]))]
            call["count"] += 1
            call["statuses"].add(entry["status"])
            if entry["status"] >= 400:
                failures.append((label, entry))
        print(f"{label}: {len(entries)} requests, {len(calls)} distinct calls")
        for (service, method, pattern), call in sorted(calls.items()):
            statuses = ",".join(str(status) for status in sorted(call["statuses"]))
            print(f"  {service:6} {method:4} {pattern}  x{call['count']}  [{statuses}]")
    for label, entry in failures:
        print(
            f"error: {label}: {entry['method']} {entry['path']}?{entry['query']} got "
            f"{entry['status']} {entry.get('error_code') or ''}",
            file=sys.stderr,
        )
    return 1 if failures else 0


def parse_range(argument):
    label, _, span = argument.partition("=")
    start, _, end = span.partition(":")
    return label, (int(start), int(end))


def main(arguments):
    if len(arguments) < 2 or arguments[0] not in ("github-token", "count", "report"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(arguments[1], encoding="utf-8") as ready_file:
        ready = json.load(ready_file)
    if arguments[0] == "github-token":
        print(github_token(ready))
        return 0
    if arguments[0] == "count":
        print(len(request_log(ready)))
        return 0
    return report(ready, [parse_range(argument) for argument in arguments[2:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
