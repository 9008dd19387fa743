#!/usr/bin/env bash
# benches/rotation.sh [WORKDIR] — how long `custody rotate` takes for 10,000 archives, and that
# the time does not depend on the archives' size (16 KiB vs 1 MiB): rotation rewrites headers
# only. Builds custody in release mode, makes a throwaway SoftHSM token and a domain on it
# (scripted genesis, tiny argon2 costs: a benchmark, not a ceremony), seals one archive of each
# size and copies it 10,000 times (a copy costs rotation exactly what a distinct archive does:
# one unwrap, one wrap, one header write), then times one rotation per size.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-10000}
work=${1:-$(mktemp -d -t custody-rotation-bench.XXXXXX)}
mkdir -p "$work"
bash hsm/install-softhsm.sh >/dev/null
cargo build --release --locked --quiet
custody=$PWD/target/release/custody
export SOFTHSM2_CONF

kdf=(--kdf-memory-kib 64 --kdf-passes 1 --kdf-lanes 1 --insecure-kdf)
printf '| archives | size each | rotate (s) | per archive (ms) |\n|---|---|---|---|\n'
for size in 16K 1M; do
    d=$work/$size
    rm -rf "$d"
    mkdir -p "$d/pdir" "$d/archives"
    uri=$(bash hsm/new-token.sh "$d/hsm" bench 2>/dev/null)
    SOFTHSM2_CONF=$d/hsm/softhsm2.conf
    cp ceremonies/officials.example.toml "$d/officials.toml"
    for id in cio justice ria president-office auditor-general; do
        od -An -N18 -tx1 /dev/urandom | tr -d ' \n' | fold -w6 | paste -sd' ' >"$d/pdir/$id.pass"
    done
    chmod 600 "$d"/pdir/*.pass
    "$custody" genesis --domain bench --officials "$d/officials.toml" --threshold 3 --hsm "$uri" \
        --out "$d/domain" --passphrases "$d/pdir" "${kdf[@]}" >/dev/null
    head -c "$size" /dev/urandom >"$d/input"
    "$custody" seal --manifest "$d/domain/manifest.json" --hsm "$uri" "$d/input" -o "$d/one.custody" >/dev/null
    for ((i = 0; i < COUNT; i++)); do cp "$d/one.custody" "$d/archives/a$i.custody"; done
    sync
    start=$(date +%s.%N)
    "$custody" rotate --manifest "$d/domain/manifest.json" --hsm "$uri" --passphrases "$d/pdir" \
        --archives "$d/archives" "${kdf[@]}" \
        "$d/domain/shares/cio.share" "$d/domain/shares/ria.share" "$d/domain/shares/justice.share" >"$d/rotate.log"
    end=$(date +%s.%N)
    grep -q "$COUNT archives rewrapped" "$d/rotate.log"
    awk -v n="$COUNT" -v s="$size" -v a="$start" -v b="$end" \
        'BEGIN { t = b - a; printf "| %d | %s | %.1f | %.2f |\n", n, s, t, 1000 * t / n }'
    rm -rf "$d/archives"
done
