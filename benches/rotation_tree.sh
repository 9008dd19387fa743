#!/usr/bin/env bash
# benches/rotation_tree.sh [WORKDIR] — how long `custody rotate` takes over a tree of N archives
# in M directories (issue 13: 100,000 archives in 1,000 directories, target under 60 s on
# SoftHSM). A measurement, not a test. Builds custody in release mode, makes a throwaway SoftHSM
# token and a domain on it (scripted genesis, tiny argon2 costs: a benchmark, not a ceremony),
# seals one small archive and copies it N times into M directories two levels deep
# (tree/dNNN/sub/aNNN.custody: a copy costs rotation what a distinct archive does — one unwrap,
# one wrap, one header write), then times one `custody rotate --archives tree`: quorum, new
# shares sealed and verified, new key imported, the walk, N headers rewritten, one syncfs, the old
# key destroyed. N and M come from the environment (defaults 100000 and 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
M=${M:-1000}
work=${1:-$(mktemp -d -t custody-rotation-tree.XXXXXX)}
mkdir -p "$work"
bash hsm/install-softhsm.sh >/dev/null
cargo build --release --locked --quiet
custody=${CARGO_TARGET_DIR:-$PWD/target}/release/custody
export SOFTHSM2_CONF

kdf=(--kdf-memory-kib 64 --kdf-passes 1 --kdf-lanes 1 --insecure-kdf)
d=$work/tree-$N-$M
rm -rf "$d"
mkdir -p "$d/pdir"
uri=$(bash hsm/new-token.sh "$d/hsm" bench 2>/dev/null)
SOFTHSM2_CONF=$d/hsm/softhsm2.conf
cp ceremonies/officials.example.toml "$d/officials.toml"
for id in cio justice ria president-office auditor-general; do
    od -An -N18 -tx1 /dev/urandom | tr -d ' \n' | fold -w6 | paste -sd' ' >"$d/pdir/$id.pass"
done
chmod 600 "$d/pdir"/*.pass
"$custody" genesis --domain bench --officials "$d/officials.toml" --threshold 3 --hsm "$uri" \
    --out "$d/domain" --passphrases "$d/pdir" "${kdf[@]}" >/dev/null
head -c 16K /dev/urandom >"$d/input"
"$custody" seal --manifest "$d/domain/manifest.json" --hsm "$uri" "$d/input" -o "$d/one.custody" >/dev/null
# N archives spread evenly over M directories, each one level below its own parent; one `tee`
# per directory writes all of its copies.
for ((j = 0; j < M; j++)); do
    mkdir -p "$d/tree/d$j/sub"
    files=()
    for ((i = j; i < N; i += M)); do files+=("$d/tree/d$j/sub/a$i.custody"); done
    ((${#files[@]} == 0)) || tee "${files[@]}" <"$d/one.custody" >/dev/null
done
sync
start=$(date +%s.%N)
"$custody" rotate --manifest "$d/domain/manifest.json" --hsm "$uri" --passphrases "$d/pdir" \
    --archives "$d/tree" "${kdf[@]}" \
    "$d/domain/shares/cio.share" "$d/domain/shares/ria.share" "$d/domain/shares/justice.share" >"$d/rotate.log"
end=$(date +%s.%N)
grep -q "$N archives rewrapped, 0 already rewrapped, 0 left" "$d/rotate.log"
grep -q "the old key was destroyed" "$d/rotate.log"
printf '| archives | directories | size each | rotate (s) | per archive (ms) |\n|---|---|---|---|---|\n'
awk -v n="$N" -v m="$M" -v a="$start" -v b="$end" \
    'BEGIN { t = b - a; printf "| %d | %d | 16K | %.1f | %.3f |\n", n, m, t, 1000 * t / n }'
rm -rf "$d/tree"
