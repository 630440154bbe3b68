#!/usr/bin/env bash
# Builds the shipped binary: statically linked, without the simulator, stripped.
# Output: dist/x86_64-unknown-linux-gnu/azure-backup-oidc (the path action.yml runs).
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
rustup target add "$target" >/dev/null 2>&1 || true

# An explicit --target keeps RUSTFLAGS away from build scripts and proc macros, which must stay
# dynamically linked for the host.
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --no-default-features --target "$target" --bin azure-backup-oidc

mkdir -p "dist/$target"
cp "target/$target/release/azure-backup-oidc" "dist/$target/azure-backup-oidc"
binary="dist/$target/azure-backup-oidc"

if ldd "$binary" 2>&1 | grep -q "statically linked\|not a dynamic executable"; then
  echo "static: yes ($(ldd "$binary" 2>&1 | head -n 1 | xargs))"
else
  echo "error: $binary is dynamically linked:" >&2
  ldd "$binary" >&2
  exit 1
fi
echo "size: $(stat -c %s "$binary") bytes"
