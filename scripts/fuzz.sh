#!/usr/bin/env bash
# Fuzzing (docs/FUZZING.md): installs cargo-fuzz if missing, builds every fuzz target of fuzz/ on
# the stable toolchain (no sanitizer: those need nightly, and custody forbids unsafe code), runs
# each for SECONDS_PER_TARGET seconds from its seeds (fuzz/seeds/TARGET) and its local corpus
# (fuzz/corpus/TARGET, not committed), and prints one summary line per target. Exits non-zero
# if any target found a crash, a panic, a timeout or an out-of-memory input, and says where the
# input was written. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
cargo_fuzz_version=0.13.2
# The flags of every build and run: `cargo fuzz run` rebuilds when they differ.
build_flags=(--sanitizer none --codegen-units 16)

if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
    echo "== installing cargo-fuzz $cargo_fuzz_version"
    cargo install --locked "cargo-fuzz@$cargo_fuzz_version"
fi

echo "== building the fuzz targets"
cargo fuzz build "${build_flags[@]}"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# Readers that take a path get a scratch file under TMPDIR: keep those out of the real one, on
# tmpfs when there is one (the transcript target's appends call fsync).
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    scratch="$(mktemp -d -p /dev/shm custody-fuzz.XXXXXX)"
else
    scratch="$(mktemp -d)"
fi
trap 'rm -rf "$scratch"' EXIT
logs="$scratch/logs"
mkdir -p "$logs"

# Inputs longer than libFuzzer's default 4 KiB matter to these readers.
max_len() {
    case "$1" in
        archive_stream) echo 20000 ;;
        manifest | transcript) echo 16384 ;;
        signature | remote) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

failed=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    log="$logs/$target.log"
    status=0
    TMPDIR="$scratch" cargo fuzz run "${build_flags[@]}" "$target" \
        "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
        -max_len="$(max_len "$target")" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    coverage="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)"
    if [ "$status" -eq 0 ]; then
        echo "fuzz $target: ok, ${runs:-?} runs in ${seconds} s (${speed:-?}/s, ${coverage:-cov: ?})"
    else
        failed+=("$target")
        echo "fuzz $target: FAILED (exit $status) after ${runs:-?} runs:"
        grep -m 1 -A 12 -E 'panicked at|ERROR: libFuzzer|^error' "$log" || tail -n 20 "$log"
        artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
        echo "fuzz $target: the failing input is ${artifact:-not written (see the log above)}"
        echo "fuzz $target: reproduce with: cargo fuzz run ${build_flags[*]} $target ${artifact:-ARTIFACT}"
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzzing FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets, no failure"
