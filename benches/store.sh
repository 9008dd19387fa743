#!/usr/bin/env bash
# benches/store.sh CUSTODY MANIFEST URI PDIR WORK — the object-store figures of issue 17, as rows
# of benches/archive.sh's Markdown table (which calls it with its release binary, domain, token
# and work directory; it can run on its own the same way).
#
# Starts a three-node Garage cluster on this machine (tests/garage/cluster.sh: zones home,
# embassy and vault, replication factor 3) and measures, against it:
#   - seal of a 1 GiB file into the store, and open of it back to /dev/null, and their peak RSS;
#   - the same bytes in plaintext through a plain S3 client, `aws s3 cp` (awscli; installed with
#     apt-get when missing), up and down;
#   - 10,000 files of 4 KiB sealed with one `custody seal --out-dir s3://…` and restored with one
#     `custody open --archives s3://… --out-dir`, against `aws s3 cp --recursive` both ways;
#   - a rotation of 10,000 archives of 64 KiB in the store: its time, and the bytes of object data
#     (payloads) the three nodes read and wrote meanwhile, from Garage's own counters.
# STORE_BENCH_COUNT (default 10000) sets the number of small archives, for a quick trial run.
set -euo pipefail

CUSTODY=$1 MANIFEST=$2 URI=$3 PDIR=$4 WORK=$5
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
say() { printf '== %s\n' "$*" >&2; }
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }

command -v aws >/dev/null 2>&1 || { say "installing awscli"; apt-get install -y awscli >&2; }

say "three-node Garage cluster"
CLUSTER=$WORK/garage
bash "$ROOT/tests/garage/cluster.sh" start "$CLUSTER" >&2
trap 'bash "$ROOT/tests/garage/cluster.sh" stop "$CLUSTER" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$CLUSTER/cluster.env"
AWS=(aws --profile custody-test)
SEAL=("$CUSTODY" seal --manifest "$MANIFEST" --hsm "$URI")
GIB=$((1024 * 1024 * 1024))
N=${STORE_BENCH_COUNT:-10000}
row "object store" "\`tests/garage/cluster.sh\`" "Garage $(garage --version 2>/dev/null | awk '{print $2}' || echo '?'), 3 nodes on 127.0.0.1, replication factor 3; plain client $("${AWS[@]}" --version 2>&1 | awk '{print $1}')"

say "1 GiB"
head -c "$GIB" /dev/urandom >"$WORK/store-in.bin"
cat "$WORK/store-in.bin" >/dev/null
t=$(seconds "${SEAL[@]}" --out-dir s3://custody/big "$WORK/store-in.bin")
row "custody seal, 1 GiB -> Garage" '`custody seal ... --out-dir s3://custody/big in.bin`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "${AWS[@]}" s3 cp --quiet "$WORK/store-in.bin" s3://custody/plain/in.bin)
row "aws s3 cp, 1 GiB plaintext -> Garage" '`aws s3 cp in.bin s3://custody/plain/in.bin`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "$CUSTODY" open --hsm "$URI" s3://custody/big/store-in.bin.custody -o -)
row "custody open, 1 GiB Garage -> /dev/null" '`custody open --hsm URI s3://custody/big/in.bin.custody -o - >/dev/null`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "${AWS[@]}" s3 cp --quiet s3://custody/plain/in.bin -)
row "aws s3 cp, 1 GiB Garage -> /dev/null" '`aws s3 cp s3://custody/plain/in.bin - >/dev/null`' "$t s = $(rate $GIB "$t") MiB/s"
peak_rss() {
    /usr/bin/time -v -o "$WORK/store-time.log" "$@" >/dev/null
    awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$WORK/store-time.log"
}
row "peak RSS, seal 1 GiB -> Garage" '`/usr/bin/time -v custody seal ... --out-dir s3://custody/big --force in.bin`' \
    "$(peak_rss "${SEAL[@]}" --force --out-dir s3://custody/big "$WORK/store-in.bin") MiB"
row "peak RSS, open 1 GiB Garage -> /dev/null" '`/usr/bin/time -v custody open ... s3://custody/big/in.bin.custody -o -`' \
    "$(peak_rss "$CUSTODY" open --hsm "$URI" s3://custody/big/store-in.bin.custody -o -) MiB"
rm -f "$WORK/store-in.bin"

say "$N files of 4 KiB"
mkdir -p "$WORK/store-small" "$WORK/store-restored" "$WORK/store-plain"
head -c $((N * 4096)) /dev/urandom | split -b 4096 -a 5 -d - "$WORK/store-small/f"
t=$(cd "$WORK/store-small" && seconds "${SEAL[@]}" --out-dir s3://custody/small -- *)
row "custody seal, $N × 4 KiB -> Garage, one session" '`custody seal ... --out-dir s3://custody/small small/*`' "$t s"
t=$(seconds "${AWS[@]}" s3 cp --quiet --recursive "$WORK/store-small" s3://custody/plain-small)
row "aws s3 cp --recursive, $N × 4 KiB -> Garage" '`aws s3 cp --recursive small/ s3://custody/plain-small`' "$t s"
t=$(seconds "$CUSTODY" open --hsm "$URI" --archives s3://custody/small --out-dir "$WORK/store-restored")
row "custody open, $N archives Garage -> disk" '`custody open --hsm URI --archives s3://custody/small --out-dir restored/`' "$t s"
t=$(seconds "${AWS[@]}" s3 cp --quiet --recursive s3://custody/plain-small "$WORK/store-plain")
row "aws s3 cp --recursive, $N × 4 KiB Garage -> disk" '`aws s3 cp --recursive s3://custody/plain-small plain/`' "$t s"
diff -rq "$WORK/store-small" "$WORK/store-restored" >/dev/null || { say "restored files differ"; exit 1; }
rm -rf "$WORK/store-small" "$WORK/store-restored" "$WORK/store-plain"

say "rotation of $N archives of 64 KiB"
mkdir -p "$WORK/store-rot"
head -c $((N * 65536)) /dev/urandom | split -b 65536 -a 5 -d - "$WORK/store-rot/r"
(cd "$WORK/store-rot" && "${SEAL[@]}" --out-dir s3://custody/rotating -- * >/dev/null)
rm -rf "$WORK/store-rot"
SHARES=("$(dirname "$MANIFEST")"/shares/*.share)
# Bytes of object data (Garage's blocks: a payload; a header of a few hundred bytes lives in
# Garage's metadata) read and written by the three nodes, from each node's own counters.
block_bytes() {
    local zone admin total_read=0 total_written=0 metrics
    for zone in home embassy vault; do
        admin=$(sed -n '/^\[admin\]/,$ s/^api_bind_addr = "\(.*\)"/\1/p' "$CLUSTER/$zone/garage.toml")
        metrics=$(curl -s "http://$admin/metrics")
        total_read=$((total_read + $(awk '$1 == "block_bytes_read" { print $2 }' <<<"$metrics" | head -n1 || echo 0)))
        total_written=$((total_written + $(awk '$1 == "block_bytes_written" { print $2 }' <<<"$metrics" | head -n1 || echo 0)))
    done
    echo "$total_read $total_written"
}
read -r read0 written0 <<<"$(block_bytes)"
t=$(seconds "$CUSTODY" rotate --manifest "$MANIFEST" --hsm "$URI" --passphrases "$PDIR" \
    --archives s3://custody/rotating --kdf-memory-kib 64 --kdf-passes 1 --kdf-lanes 1 --insecure-kdf \
    "${SHARES[@]}")
read -r read1 written1 <<<"$(block_bytes)"
payload=$((N * 65536))
row "custody rotate, $N archives of 64 KiB in Garage" '`custody rotate ... --archives s3://custody/rotating SHARES`' \
    "$t s; object data the three nodes read: $((read1 - read0)) bytes, wrote: $((written1 - written0)) bytes (Garage's block_bytes_read and block_bytes_written: the catalog's batches, read once and the new one written three times; headers live in metadata), for $payload bytes of payload rewrapped"
# The rotation destroys the old key only once every archive is rewrapped; the catalog, checked
# against the store's headers with no key, has recorded each rewrap.
"$CUSTODY" catalog verify --headers-only s3://custody/rotating >/dev/null || { say "the catalog does not match the store after the rotation"; exit 1; }
