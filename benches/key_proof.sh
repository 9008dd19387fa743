#!/usr/bin/env bash
# benches/key_proof.sh — the cost of the token key proof (issue 12; docs/DECISIONS.md D51).
#
# 1. examples/key_proof_cost.rs in release mode on a throwaway SoftHSM token: the lookup with its
#    attribute checks, the proof alone (the token's RFC 3394 wrap of the wrap check input and the
#    constant-time comparison) and both together, averaged over ROUNDS (default 1000).
# 2. End to end: `custody hsm probe URI` with and without `--manifest` (the difference is one
#    lookup and one proof), each run RUNS times (default 20), mean wall time per command.
# Prints Markdown to stdout; progress to stderr.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
ROUNDS=${ROUNDS:-1000}
RUNS=${RUNS:-20}
cd "$ROOT"
echo "== building (release)" >&2
cargo build --release --locked --quiet --bin custody --example key_proof_cost
echo "## Key proof, per call"
echo
target/release/examples/key_proof_cost "$ROUNDS"

WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT
URI=$(bash hsm/new-token.sh "$WORK/hsm" proof 2>/dev/null)
export SOFTHSM2_CONF=$WORK/hsm/softhsm2.conf
mkdir -p "$WORK/pdir"
for id in cio justice; do
    printf '[[official]]\nid = "%s"\nname = "%s"\nrole = "Office"\n\n' "$id" "$id" >>"$WORK/officials.toml"
    printf 'amber %s lantern orbit seventeen\n' "$id" >"$WORK/pdir/$id.pass"
done
chmod 600 "$WORK"/pdir/*.pass
echo "== genesis on a throwaway token (tiny argon2 costs: not a ceremony)" >&2
target/release/custody genesis --domain ee-bench --officials "$WORK/officials.toml" --threshold 2 \
    --hsm "$URI" --out "$WORK/domain" --passphrases "$WORK/pdir" \
    --kdf-memory-kib 64 --kdf-passes 1 --kdf-lanes 1 --insecure-kdf >/dev/null
mean_ms() {
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$RUNS"); do "$@" >/dev/null; done
    end=$(date +%s%N)
    echo $(((end - start) / RUNS / 1000))
}
plain=$(mean_ms target/release/custody hsm probe "$URI")
proven=$(mean_ms target/release/custody hsm probe "$URI" --manifest "$WORK/domain/manifest.json")
echo
echo "## End to end ($RUNS runs each)"
echo
echo "| command | mean |"
echo "|---|---|"
echo "| custody hsm probe URI | ${plain} µs |"
echo "| custody hsm probe URI --manifest M (adds lookup + proof) | ${proven} µs |"
