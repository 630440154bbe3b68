#!/usr/bin/env bash
# Builds every fuzz target and runs each for a bounded time. Exits non-zero when any target finds
# a crash: a panic, a failed invariant or a hang.
#
# Usage: fuzz/run.sh [SECONDS]   (seconds per target, default 20)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The targets call parsers
# only: they open no socket and read no file besides their corpus, seeds and dictionary.
#
# Environment:
#   FUZZ_TOOLCHAIN   toolchain for `cargo +TOOLCHAIN fuzz` (default: nightly)
#   FUZZ_SANITIZER   address, leak, memory, thread or none (default: none). The code under test
#                    is safe Rust, so a panic is the signal. `address` also checks the unsafe code
#                    in dependencies, but each run executes fewer inputs.
#   FUZZ_TARGETS     space-separated subset of targets to run (default: all)
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: fuzz/run.sh [SECONDS]: SECONDS must be a positive whole number, got '$seconds'" >&2
    exit 2
fi
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
sanitizer="${FUZZ_SANITIZER:-none}"

# A single input that runs longer than this counts as a hang. Every target parses a few KiB at
# most, which takes microseconds, so 10 s can only mean a loop that does not end.
readonly INPUT_TIMEOUT_SECONDS=10
# libFuzzer's default maximum input of 4096 bytes is enough for every format fuzzed here and keeps
# each run fast. It is written out, because libFuzzer would otherwise raise it to fit the largest
# corpus file.
readonly MAX_INPUT_BYTES=4096

if ! cargo "+$toolchain" fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing for toolchain '$toolchain': run 'cargo install cargo-fuzz'" >&2
    exit 2
fi

build_flags=(--sanitizer "$sanitizer" --debug-assertions)
all_targets=$(cargo "+$toolchain" fuzz list)
targets="${FUZZ_TARGETS:-$all_targets}"

echo "Building the fuzz targets (sanitizer: $sanitizer)"
cargo "+$toolchain" fuzz build "${build_flags[@]}"

log_dir=target/run-logs
mkdir -p "$log_dir"
failed=()
for target in $targets; do
    corpus="corpus/$target"
    mkdir -p "$corpus" "artifacts/$target"
    inputs=("$corpus")
    if [[ -d "seeds/$target" ]]; then
        inputs+=("seeds/$target")
    fi
    libfuzzer_flags=(
        "-max_total_time=$seconds"
        "-timeout=$INPUT_TIMEOUT_SECONDS"
        "-max_len=$MAX_INPUT_BYTES"
        "-print_final_stats=1"
    )
    if [[ -f "dicts/$target.dict" ]]; then
        libfuzzer_flags+=("-dict=dicts/$target.dict")
    fi

    log="$log_dir/$target.log"
    echo "Running $target for ${seconds}s (log: fuzz/$log)"
    if cargo "+$toolchain" fuzz run "${build_flags[@]}" "$target" "${inputs[@]}" \
        -- "${libfuzzer_flags[@]}" >"$log" 2>&1; then
        status=ok
    else
        status=CRASH
        failed+=("$target")
    fi
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    echo "  $target: $status, ${executions:-?} executions, ${coverage:-cov: ?}"
    if [[ "$status" == CRASH ]]; then
        grep -m 1 -A 3 -E "panicked at|ERROR: libFuzzer" "$log" | sed 's/^/    /' || true
        grep -o "Test unit written to .*" "$log" | sed 's/^/    /' || true
        echo "    minimize with: cargo +$toolchain fuzz tmin ${build_flags[*]} $target ARTIFACT"
    fi
done

if ((${#failed[@]} > 0)); then
    echo "Crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "No crash in: $(echo $targets)"
