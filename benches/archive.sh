#!/usr/bin/env bash
# benches/archive.sh [WORKDIR] — the archive benchmark of issue 4, in one run.
#
# Builds custody in release mode, makes a throwaway SoftHSM token (hsm/new-token.sh) and puts a
# domain key on it with a scripted genesis (tiny argon2 costs: this is not a ceremony), then
# reports, as a Markdown table on stdout:
#   - seal and open of a 1 GiB file held in page cache, output to /dev/null (so no disk bounds
#     it) and to a file in WORKDIR;
#   - age (Debian package; installed with apt-get when missing and run as root) on the same file;
#   - `openssl speed -evp aes-256-gcm` with 1 MiB blocks on one core and on every core;
#   - peak RSS (/usr/bin/time -v) of seal and open for 1 GiB and 4 GiB inputs (4 GiB streamed
#     from /dev/zero: memory does not depend on content);
#   - sealing 10,000 files of 4 KiB with one `custody seal --out-dir` (one token session), into
#     tmpfs (/dev/shm) and into WORKDIR on disk.
# WORKDIR (default: a new directory under /var/tmp) needs about 5 GiB free; it is removed at
# the end unless given. Progress goes to stderr. Figures vary with the machine's load: run it
# on a quiet machine and read docs/PERFORMANCE.md for how the last run was read.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
say() { printf '== %s\n' "$*" >&2; }

if [[ $# -ge 1 ]]; then
    WORK=$1
    mkdir -p -- "$WORK"
else
    WORK=$(mktemp -d /var/tmp/custody-bench.XXXXXX)
    trap 'rm -rf -- "$WORK"' EXIT
fi

command -v age >/dev/null 2>&1 || { say "installing age"; apt-get install -y age >&2; }

say "building custody (release)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
CUSTODY=$ROOT/target/release/custody
CORES=$(nproc)

say "throwaway token and scripted genesis"
URI=$(bash "$ROOT/hsm/new-token.sh" "$WORK/hsm" bench 2>/dev/null)
export SOFTHSM2_CONF=$WORK/hsm/softhsm2.conf
mkdir -p "$WORK/pdir"
printf '[[official]]\nid = "a"\nname = "A"\nrole = "bench"\n\n[[official]]\nid = "b"\nname = "B"\nrole = "bench"\n' >"$WORK/officials.toml"
for id in a b; do printf 'amber %s lantern orbit seventeen' "$id" >"$WORK/pdir/$id.pass"; done; chmod 600 "$WORK"/pdir/*.pass
"$CUSTODY" genesis --domain bench --officials "$WORK/officials.toml" --threshold 2 --hsm "$URI" \
    --out "$WORK/domain" --passphrases "$WORK/pdir" \
    --kdf-memory-kib 64 --kdf-passes 1 --kdf-lanes 1 --insecure-kdf --json >/dev/null
MANIFEST=$WORK/domain/manifest.json

SEAL=("$CUSTODY" seal --manifest "$MANIFEST" --hsm "$URI")
OPEN=("$CUSTODY" open --hsm "$URI" --force)

# Seconds taken by a command, its stdout discarded.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}
# MiB/s for BYTES in SECONDS.
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }
# Peak RSS in MiB of a command run under /usr/bin/time -v (stdout of the command discarded).
peak_rss() {
    local log=$WORK/time.log
    /usr/bin/time -v -o "$log" "$@" >/dev/null
    awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log"
}
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }

say "1 GiB input in page cache"
IN=$WORK/in.bin
GIB=$((1024 * 1024 * 1024))
head -c "$GIB" /dev/urandom >"$IN"
cat "$IN" >/dev/null
"${SEAL[@]}" "$IN" -o "$WORK/in.custody" >/dev/null # warm-up, and the archive the open runs read
cat "$WORK/in.custody" >/dev/null

printf '| what | command | result |\n|---|---|---|\n'
printf '| machine | `nproc`; `lscpu` | %s cores, %s |\n' "$CORES" \
    "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"

t=$(seconds "${SEAL[@]}" "$IN" -o -)
row "custody seal, 1 GiB -> /dev/null" '`custody seal --manifest M --hsm URI in.bin -o - >/dev/null`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "${OPEN[@]}" "$WORK/in.custody" -o -)
row "custody open, 1 GiB -> /dev/null" '`custody open --hsm URI in.custody -o - >/dev/null`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "$CUSTODY" verify --hsm "$URI" "$WORK/in.custody")
row "custody verify, 1 GiB" '`custody verify --hsm URI in.custody`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "${SEAL[@]}" "$IN" -o "$WORK/again.custody" --force)
row "custody seal, 1 GiB -> file (fsync + rename)" '`custody seal ... in.bin -o again.custody`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "${OPEN[@]}" "$WORK/in.custody" -o "$WORK/out.bin")
row "custody open, 1 GiB -> file (fsync + rename)" '`custody open ... in.custody -o out.bin`' "$t s = $(rate $GIB "$t") MiB/s"
cmp -s "$IN" "$WORK/out.bin" || { say "open returned different bytes"; exit 1; }
rm -f "$WORK/again.custody" "$WORK/out.bin"

age-keygen -o "$WORK/age.key" 2>/dev/null
RECIPIENT=$(age-keygen -y "$WORK/age.key")
age -r "$RECIPIENT" -o "$WORK/in.age" "$IN"
cat "$WORK/in.age" >/dev/null
t=$(seconds age -r "$RECIPIENT" -o /dev/null "$IN")
row "age $(age --version) encrypt, 1 GiB -> /dev/null" '`age -r RECIPIENT -o /dev/null in.bin`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds age -d -i "$WORK/age.key" -o /dev/null "$WORK/in.age")
row "age decrypt, 1 GiB -> /dev/null" '`age -d -i key -o /dev/null in.age`' "$t s = $(rate $GIB "$t") MiB/s"
rm -f "$WORK/in.age"

# The last line of openssl speed's table: the rate at 1 MiB blocks, in kB/s (1000 bytes).
openssl_rate() {
    openssl speed -elapsed -seconds 3 -bytes 1048576 "$@" -evp aes-256-gcm 2>/dev/null |
        awk '/^(AES-256-GCM|aes-256-gcm|evp)/ { v = $NF } END { sub(/k$/, "", v); printf "%.0f", v * 1000 / 1048576 }'
}
row "openssl $(openssl version | awk '{print $2}') AES-256-GCM, 1 core, 1 MiB blocks" '`openssl speed -elapsed -seconds 3 -bytes 1048576 -evp aes-256-gcm`' "$(openssl_rate) MiB/s"
row "openssl AES-256-GCM, $CORES cores" "\`openssl speed ... -multi $CORES -evp aes-256-gcm\`" "$(openssl_rate -multi "$CORES") MiB/s"

say "peak RSS"
row "peak RSS, seal 1 GiB file" '`/usr/bin/time -v custody seal ... in.bin -o - >/dev/null`' "$(peak_rss "${SEAL[@]}" "$IN" -o -) MiB"
row "peak RSS, open 1 GiB archive" '`/usr/bin/time -v custody open ... in.custody -o - >/dev/null`' "$(peak_rss "${OPEN[@]}" "$WORK/in.custody" -o -) MiB"
rm -f "$IN" "$WORK/in.custody"
FOUR=$((4 * GIB))
head -c "$FOUR" /dev/zero | "${SEAL[@]}" - -o "$WORK/four.custody" >/dev/null
row "peak RSS, seal 4 GiB stream" '`head -c 4G /dev/zero \| /usr/bin/time -v custody seal ... - -o - >/dev/null`' \
    "$(head -c "$FOUR" /dev/zero | peak_rss "${SEAL[@]}" - -o -) MiB"
row "peak RSS, open 4 GiB archive" '`/usr/bin/time -v custody open ... four.custody -o - >/dev/null`' "$(peak_rss "${OPEN[@]}" "$WORK/four.custody" -o -) MiB"
rm -f "$WORK/four.custody"

say "10,000 files of 4 KiB"
mkdir -p "$WORK/small" "$WORK/sealed"
SHM_SEALED=$(mktemp -d /dev/shm/custody-bench.XXXXXX)
# 40 MiB of random bytes cut into 4 KiB files.
head -c $((10000 * 4096)) /dev/urandom | split -b 4096 -a 5 -d - "$WORK/small/f"
cat "$WORK"/small/* >/dev/null
t=$(cd "$WORK/small" && seconds "${SEAL[@]}" --out-dir "$SHM_SEALED" -- *)
count=$(find "$SHM_SEALED" -name '*.custody' | wc -l)
rm -rf -- "$SHM_SEALED"
row "seal $count files of 4 KiB, one session, archives on tmpfs" '`custody seal --manifest M --hsm URI --out-dir /dev/shm/sealed small/*`' "$t s"
t=$(cd "$WORK/small" && seconds "${SEAL[@]}" --out-dir "$WORK/sealed" -- *)
count=$(find "$WORK/sealed" -name '*.custody' | wc -l)
row "seal $count files of 4 KiB, one session, archives on disk (2 fsyncs each)" '`custody seal --manifest M --hsm URI --out-dir sealed/ small/*`' "$t s"
