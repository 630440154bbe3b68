#!/usr/bin/env bash
# Installs the Azure CLI and the Azure SDK for Python (requirements.txt, with every other package
# pinned by constraints.txt) into the virtual environment VENV. Does nothing while VENV already
# contains an install of the same two files, so reruns take a second instead of minutes.
#
# Usage: tests/conformance/install-clients.sh VENV
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$1

stamp=$(cat "$here/requirements.txt" "$here/constraints.txt" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" = "$stamp" ] &&
  "$venv/bin/python" -c 'import azure.identity, azure.mgmt.recoveryservicesbackup, azure.mgmt.dataprotection' 2>/dev/null; then
  exit 0
fi

echo "Installing the Azure CLI and the Azure SDK for Python into $venv"
rm -rf "$venv"
# `python3 -m venv` needs ensurepip, which Debian ships separately (python3-venv). Where that
# package cannot be installed, virtualenv creates the environment.
if ! python3 -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null || true
  fi
  if ! python3 -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m pip install --quiet virtualenv
    python3 -m virtualenv --quiet "$venv"
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "$stamp" > "$venv/.requirements-sha256"
