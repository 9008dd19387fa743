#!/usr/bin/env bash
# tests/cmd/make-fixture.sh — rebuilds tests/cmd/fixture/, the checked-in domain the golden
# tests in tests/cmd/*.toml read without a token: a scripted genesis of `ee-fixture` (2 of 3
# officials, tiny argon2 costs: a test fixture, never a ceremony) on a throwaway SoftHSM token
# that is deleted afterwards. The passphrases are test values, kept in fixture/pdir/.
#
# Run it only when the file formats change (then refresh the snapshots: see tests/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --locked --quiet
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
URI=$(bash hsm/new-token.sh "$WORK/hsm" fixture 2>/dev/null)
FIXTURE=tests/cmd/fixture
rm -rf "$FIXTURE"
mkdir -p "$FIXTURE/pdir"
for id in cio justice ria; do
    printf 'amber %s lantern orbit seventeen\n' "$id" >"$FIXTURE/pdir/$id.pass"
done
# Git keeps no 0600: the files are private while genesis reads them, public once checked in.
chmod 600 "$FIXTURE"/pdir/*.pass
printf 'not the passphrase of cio\n' >"$FIXTURE/wrong.pass"
cat >"$FIXTURE/officials.toml" <<'TOML'
[[official]]
id = "cio"
name = "Government CIO"
role = "Office of the Government CIO"

[[official]]
id = "justice"
name = "Minister of Justice"
role = "Ministry of Justice"

[[official]]
id = "ria"
name = "Director of RIA"
role = "Information System Authority"
TOML
SOFTHSM2_CONF="$WORK/hsm/softhsm2.conf" "${CARGO_TARGET_DIR:-target}/debug/custody" genesis --domain ee-fixture \
    --officials "$FIXTURE/officials.toml" --threshold 2 --hsm "$URI" --site Tallinn --out "$WORK/domain" \
    --passphrases "$FIXTURE/pdir" --kdf-memory-kib 64 --kdf-passes 1 --kdf-lanes 1 --insecure-kdf >/dev/null
cp -r "$WORK/domain" "$FIXTURE/domain"
# The same domain after its transcript was lost: the ceremonies and `share reseal` refuse it (D56).
mkdir -p "$FIXTURE/lost-transcript/shares"
cp -r "$FIXTURE/domain/manifest.json" "$FIXTURE/domain/chain" "$FIXTURE/lost-transcript/"
cp "$FIXTURE/domain/shares/cio.share" "$FIXTURE/lost-transcript/shares/"
# The canary under another file name: inspect warns that it was sealed as canary.txt.
ln -s domain/canary.custody "$FIXTURE/land.csv.custody"
chmod 644 "$FIXTURE"/pdir/*.pass
echo "rebuilt $FIXTURE"
