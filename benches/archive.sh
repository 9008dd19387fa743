#!/usr/bin/env bash
# benches/archive.sh [WORKDIR] — the archive benchmark of issue 4, in one run.
#
# Builds custody in release mode, makes a throwaway SoftHSM token (hsm/new-token.sh) and puts a
# domain key on it with a scripted genesis (tiny argon2 costs: this is not a ceremony), then
# reports, as a Markdown table on stdout:
#   - seal and open of a 1 GiB file held in page cache, output to /dev/null (so no disk bounds
#     it), beside age (Debian package; installed with apt-get when missing and run as root) on
#     the same file and `dd` copying it (and the archive) out of the page cache: ROUNDS (default
#     5) paired rounds, each running all six, medians reported; then to a file in WORKDIR, once;
#   - `openssl speed -evp aes-256-gcm` with 1 MiB blocks on one core and on every core;
#   - issue 17's targets from those figures: seal and open as multiples of age, and as a share
#     of the copy-bound limit (docs/PERFORMANCE.md): one core's dd copy plus one core's
#     openssl AES-256-GCM per byte, spread over the cores used, counted as openssl's
#     every-core rate over its one-core rate (2 on two cores that scale perfectly);
#   - peak RSS (/usr/bin/time -v) of seal and open for 1 GiB and 4 GiB inputs (4 GiB streamed
#     from /dev/zero: memory does not depend on content);
#   - sealing 10,000 files of 4 KiB with one `custody seal --out-dir` (one token session), into
#     tmpfs (/dev/shm) and into WORKDIR on disk.
#   - last, the object-store figures of benches/store.sh against a three-node Garage cluster on
#     this machine (1 GiB and 10,000 small archives beside `aws s3 cp`, a rotation of 10,000
#     archives and the bytes it moved).
# WORKDIR (default: a new directory under /var/tmp) needs about 3 GiB free, and /dev/shm 4 GiB
# of memory for the 4 GiB archive (a file there needs no disk); WORKDIR is removed at
# the end unless given. Progress goes to stderr. Figures vary with the machine's load: run it
# on a quiet machine and read docs/PERFORMANCE.md for how the last run was read.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
say() { printf '== %s\n' "$*" >&2; }

# What /dev/shm holds for the run, removed however it ends (and WORKDIR when it is ours).
SHM=()
if [[ $# -ge 1 ]]; then
    WORK=$1
    mkdir -p -- "$WORK"
    trap 'rm -rf -- "${SHM[@]}"' EXIT
else
    WORK=$(mktemp -d /var/tmp/custody-bench.XXXXXX)
    trap 'rm -rf -- "$WORK" "${SHM[@]}"' EXIT
fi

command -v age >/dev/null 2>&1 || { say "installing age"; apt-get install -y age >&2; }

say "building custody (release)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
CUSTODY=${CARGO_TARGET_DIR:-$ROOT/target}/release/custody
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

# Puts FILE in the page cache as a read from disk leaves it: written out, dropped from the cache,
# read back. (How a file was written decides the size of its page-cache folios, and reading
# small folios costs the kernel's copy about twice as much: a file just written 8 KiB at a time
# by `head` would make every reader here slower than one read from disk. docs/PERFORMANCE.md.)
settle() {
    sync "$1"
    dd if="$1" iflag=nocache count=0 status=none
    cat "$1" >/dev/null
}
# The median of the numbers given.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

say "1 GiB input in page cache"
IN=$WORK/in.bin
GIB=$((1024 * 1024 * 1024))
head -c "$GIB" /dev/urandom >"$IN"
settle "$IN"
"${SEAL[@]}" "$IN" -o "$WORK/in.custody" >/dev/null # warm-up, and the archive the open runs read
settle "$WORK/in.custody"
age-keygen -o "$WORK/age.key" 2>/dev/null
RECIPIENT=$(age-keygen -y "$WORK/age.key")
age -r "$RECIPIENT" -o "$WORK/in.age" "$IN"
settle "$WORK/in.age"

printf '| what | command | result |\n|---|---|---|\n'
printf '| machine | `nproc`; `lscpu` | %s cores, %s |\n' "$CORES" \
    "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
row "load average before" '`cat /proc/loadavg`' "$(cut -d' ' -f1-3 /proc/loadavg)"

ROUNDS=${ROUNDS:-5}
say "$ROUNDS paired rounds: dd, seal, age encrypt, dd of the archive, open, age decrypt"
T_DD=() T_SEAL=() T_AGE_ENC=() T_DD_ARCHIVE=() T_OPEN=() T_AGE_DEC=()
for _ in $(seq "$ROUNDS"); do
    T_DD+=("$(seconds dd if="$IN" of=/dev/null bs=1M status=none)")
    T_SEAL+=("$(seconds "${SEAL[@]}" "$IN" -o -)")
    T_AGE_ENC+=("$(seconds age -r "$RECIPIENT" -o /dev/null "$IN")")
    T_DD_ARCHIVE+=("$(seconds dd if="$WORK/in.custody" of=/dev/null bs=1M status=none)")
    T_OPEN+=("$(seconds "${OPEN[@]}" "$WORK/in.custody" -o -)")
    T_AGE_DEC+=("$(seconds age -d -i "$WORK/age.key" -o /dev/null "$WORK/in.age")")
done
rm -f "$WORK/in.age"
dd_t=$(median "${T_DD[@]}") seal_t=$(median "${T_SEAL[@]}") open_t=$(median "${T_OPEN[@]}")
age_enc_t=$(median "${T_AGE_ENC[@]}") age_dec_t=$(median "${T_AGE_DEC[@]}")
dd_archive_t=$(median "${T_DD_ARCHIVE[@]}")
runs() { printf ' (runs: %s)' "$*"; }
row "dd, 1 GiB page cache -> /dev/null, 1 core" '`dd if=in.bin of=/dev/null bs=1M`' "$dd_t s = $(rate $GIB "$dd_t") MiB/s$(runs "${T_DD[@]}")"
# The archive too: how fast the page cache gives a file back depends on the folios it holds.
row "dd of the archive (not in the limit: a check on the page cache)" '`dd if=in.custody of=/dev/null bs=1M`' "$dd_archive_t s = $(rate $GIB "$dd_archive_t") MiB/s$(runs "${T_DD_ARCHIVE[@]}")"
row "custody seal, 1 GiB -> /dev/null" '`custody seal --manifest M --hsm URI in.bin -o - >/dev/null`' "$seal_t s = $(rate $GIB "$seal_t") MiB/s$(runs "${T_SEAL[@]}")"
row "custody open, 1 GiB -> /dev/null" '`custody open --hsm URI in.custody -o - >/dev/null`' "$open_t s = $(rate $GIB "$open_t") MiB/s$(runs "${T_OPEN[@]}")"
row "age $(age --version) encrypt, 1 GiB -> /dev/null" '`age -r RECIPIENT -o /dev/null in.bin`' "$age_enc_t s = $(rate $GIB "$age_enc_t") MiB/s$(runs "${T_AGE_ENC[@]}")"
row "age decrypt, 1 GiB -> /dev/null" '`age -d -i key -o /dev/null in.age`' "$age_dec_t s = $(rate $GIB "$age_dec_t") MiB/s$(runs "${T_AGE_DEC[@]}")"

# The last line of openssl speed's table: the rate at 1 MiB blocks, in kB/s (1000 bytes).
openssl_rate() {
    openssl speed -elapsed -seconds 3 -bytes 1048576 "$@" -evp aes-256-gcm 2>/dev/null |
        awk '/^(AES-256-GCM|aes-256-gcm|evp)/ { v = $NF } END { sub(/k$/, "", v); printf "%.0f", v * 1000 / 1048576 }'
}
say "openssl speed"
ssl_1=$(openssl_rate)
ssl_all=$(openssl_rate -multi "$CORES")
row "openssl $(openssl version | awk '{print $2}') AES-256-GCM, 1 core, 1 MiB blocks" '`openssl speed -elapsed -seconds 3 -bytes 1048576 -evp aes-256-gcm`' "$ssl_1 MiB/s"
row "openssl AES-256-GCM, $CORES cores" "\`openssl speed ... -multi $CORES -evp aes-256-gcm\`" "$ssl_all MiB/s"

# The copy-bound limit: a byte costs one core dd's copy plus openssl's AES-256-GCM; the cores
# used share the work as well as openssl's every-core run shows they can.
limit_t=$(awk -v d="$dd_t" -v s1="$ssl_1" -v sa="$ssl_all" 'BEGIN { printf "%.3f", (d + 1024 / s1) / (sa / s1) }')
row "copy-bound limit, 1 GiB" "(dd + 1 GiB / openssl 1 core) / (openssl $CORES cores / 1 core)" \
    "$limit_t s = $(rate $GIB "$limit_t") MiB/s ($(awk -v s1="$ssl_1" -v sa="$ssl_all" 'BEGIN { printf "%.2f", sa / s1 }') cores' worth)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
share() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'; }
row "seal: x age encrypt; % of copy-bound limit (targets: >= 4x, >= 90%)" "age / seal; limit / seal" \
    "$(ratio "$age_enc_t" "$seal_t")x; $(share "$limit_t" "$seal_t")%"
row "open: x age decrypt; % of copy-bound limit (targets: >= 4x, >= 90%)" "age -d / open; limit / open" \
    "$(ratio "$age_dec_t" "$open_t")x; $(share "$limit_t" "$open_t")%"
row "load average after the paired rounds" '`cat /proc/loadavg`' "$(cut -d' ' -f1-3 /proc/loadavg)"

t=$(seconds "$CUSTODY" verify --hsm "$URI" "$WORK/in.custody")
row "custody verify, 1 GiB" '`custody verify --hsm URI in.custody`' "$t s = $(rate $GIB "$t") MiB/s"
t=$(seconds "${SEAL[@]}" "$IN" -o "$WORK/again.custody" --force)
row "custody seal, 1 GiB -> file (fsync + rename)" '`custody seal ... in.bin -o again.custody`' "$t s = $(rate $GIB "$t") MiB/s"
rm -f "$WORK/again.custody"
t=$(seconds "${OPEN[@]}" "$WORK/in.custody" -o "$WORK/out.bin")
row "custody open, 1 GiB -> file (fsync + rename)" '`custody open ... in.custody -o out.bin`' "$t s = $(rate $GIB "$t") MiB/s"
cmp -s "$IN" "$WORK/out.bin" || { say "open returned different bytes"; exit 1; }
rm -f "$WORK/out.bin"

say "peak RSS"
row "peak RSS, seal 1 GiB file" '`/usr/bin/time -v custody seal ... in.bin -o - >/dev/null`' "$(peak_rss "${SEAL[@]}" "$IN" -o -) MiB"
row "peak RSS, open 1 GiB archive" '`/usr/bin/time -v custody open ... in.custody -o - >/dev/null`' "$(peak_rss "${OPEN[@]}" "$WORK/in.custody" -o -) MiB"
rm -f "$IN" "$WORK/in.custody"
FOUR=$((4 * GIB))
FOUR_ARCHIVE=$(mktemp /dev/shm/custody-bench.XXXXXX)
SHM+=("$FOUR_ARCHIVE")
head -c "$FOUR" /dev/zero | "${SEAL[@]}" - -o "$FOUR_ARCHIVE" --force >/dev/null
row "peak RSS, seal 4 GiB stream" '`head -c 4G /dev/zero \| /usr/bin/time -v custody seal ... - -o - >/dev/null`' \
    "$(head -c "$FOUR" /dev/zero | peak_rss "${SEAL[@]}" - -o -) MiB"
row "peak RSS, open 4 GiB archive" '`/usr/bin/time -v custody open ... four.custody -o - >/dev/null`' "$(peak_rss "${OPEN[@]}" "$FOUR_ARCHIVE" -o -) MiB"
rm -f "$FOUR_ARCHIVE"

say "10,000 files of 4 KiB"
mkdir -p "$WORK/small" "$WORK/sealed"
SHM_SEALED=$(mktemp -d /dev/shm/custody-bench.XXXXXX)
SHM+=("$SHM_SEALED")
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

# The object-store figures (issue 17): the same binary, domain and token against a three-node
# Garage cluster on this machine (benches/store.sh; it rotates the domain last).
say "object store (benches/store.sh)"
bash "$ROOT/benches/store.sh" "$CUSTODY" "$MANIFEST" "$URI" "$WORK/pdir" "$WORK"
