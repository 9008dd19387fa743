#!/usr/bin/env bash
# integrations/restic.sh — restic under custody, end to end (integrations/restic.md), on real
# SoftHSM tokens and a real restic. What CI runs; also the measurement of the closing note:
#
#   bash integrations/restic.sh [--size BYTES] [--change-percent P]
#       (defaults: 128 MiB of registry data, 1 % changed between the two snapshots)
#
# A domain of 3 of 5 officials at the home token; `custody secret new` makes the repository's
# password, sealed as an archive of the domain; restic gets it only from
# `--password-command "custody open --hsm URI SECRET -o -"`. Two snapshots of a registry
# directory (the second after P % of it changed: only about that much is added); the home token
# is lost; a quorum unlocks the key at the embassy token; the latest snapshot is restored there
# and compared byte for byte. Then the quarterly drill's sample: one file restored with the
# password a quorum releases with no token at all (`custody recover --no-hsm ... -o -`). Then a
# key change (`restic key add` / `key remove`, the new secret recorded with --replaces). Then borg,
# the same pattern (BORG_PASSCOMMAND). Last, no file anywhere under the work directory, and
# nothing custody printed, holds any of the passwords.
#
# Needs root to install restic and borgbackup when missing (apt-get), SoftHSM (hsm/install-softhsm.sh).
# Uses $CUSTODY when set (CI: the release binary), else builds the release binary
# (scripts/release.sh), as the ceremony rehearsals do.
set -euo pipefail
REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
. "$REPO/ceremonies/lib.sh"

size=$((128 * 1024 * 1024)) percent=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --change-percent) percent=$2; shift 2 ;;
        *) echo "usage: integrations/restic.sh [--size BYTES] [--change-percent P]" >&2; exit 2 ;;
    esac
done
[[ $size =~ ^[0-9]+$ && $size -ge 16777216 ]] || { echo "restic.sh: --size must be at least 16777216 bytes" >&2; exit 2; }
[[ $percent =~ ^[0-9]+$ && $percent -ge 1 && $percent -le 50 ]] || { echo "restic.sh: --change-percent must be 1 to 50" >&2; exit 2; }

command -v restic >/dev/null || {
    echo "== installing restic (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends restic >/dev/null
}
[[ -n ${CUSTODY:-} ]] || export CUSTODY_BUILD=1
custody=$(custody_binary)
work=$(mktemp -d -t custody-restic.XXXXXX)
trap 'rm -rf -- "$work"' EXIT
logs=$work/logs
mkdir "$logs"
# restic's cache (encrypted, like the repository) stays in the throwaway directory.
export RESTIC_CACHE_DIR=$work/restic-cache
# Every custody command's output is kept, to be searched for the password at the end.
run_custody() { "$custody" "$@" >>"$logs/custody.out" 2>>"$logs/custody.err"; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
# summary FIELD JSON-LINES: a number from restic's backup summary line.
summary() { sed -n "s/.*\"message_type\":\"summary\".*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }

echo "== a domain of 3 of 5 officials at the home token, and an empty embassy token"
rehearsal_room "$work"
d=$work/ee-registries
run_custody genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
    --hsm "$HOME_URI" --out "$d" --passphrases "$PDIR"
shares=("$d/shares/justice.share" "$d/shares/president-office.share" "$d/shares/auditor-general.share")

echo "== custody secret new: the repository's password, sealed at the home token"
secret=$work/keys/registries-restic.custody
mkdir "$work/keys"
"$custody" secret new --manifest "$d/manifest.json" --hsm "$HOME_URI" \
    --purpose "restic repository of the registries" --out "$secret" | tee -a "$logs/custody.out"
# restic runs this command whenever it needs the password; custody prints it on the pipe only.
home_password="$custody open --hsm '$HOME_URI' $secret -o -"
embassy_password="$custody open --hsm '$EMBASSY_URI' $secret -o -"
repo=$work/repository

echo "== the registry: $(mib "$size") in 16 files"
registry=$work/registry
mkdir -p "$registry/population" "$registry/business"
for i in $(seq -w 1 16); do
    sub=population
    [[ $((10#$i % 2)) -eq 0 ]] || sub=business
    head -c $((size / 16)) /dev/urandom >"$registry/$sub/part-$i.dat"
done

echo "== restic init and the first snapshot (password from the home token)"
restic -r "$repo" --password-command "$home_password" init >"$logs/init.out"
restic -r "$repo" --password-command "$home_password" backup --json "$registry" >"$logs/backup1.json"
added1=$(summary data_added "$logs/backup1.json") time1=$(summary total_duration "$logs/backup1.json")

changed=$((size * percent / 100))
echo "== $percent % of the registry changes ($(mib "$changed") rewritten in the middle of 4 files), second snapshot"
for i in 03 06 09 12; do
    f=$(ls "$registry"/*/part-$i.dat)
    head -c $((changed / 4)) /dev/urandom |
        dd of="$f" bs=1M seek=$((size / 16 / 2 / 1048576)) conv=notrunc iflag=fullblock status=none
done
restic -r "$repo" --password-command "$home_password" backup --json "$registry" >"$logs/backup2.json"
added2=$(summary data_added "$logs/backup2.json") time2=$(summary total_duration "$logs/backup2.json")
printf '   snapshot 1: %s added in %.1f s\n   snapshot 2: %s added in %.1f s (%s changed)\n' \
    "$(mib "$added1")" "$time1" "$(mib "$added2")" "$time2" "$(mib "$changed")"
# Incremental: the second adds what changed and the rest of the chunks it falls in (restic's
# chunks are 0.5 to 8 MiB, 1 MiB on average), far less than the first; a full copy would fail.
[[ $((added2 * 4)) -lt $added1 ]] || {
    echo "error: the second snapshot added $added2 bytes for $changed changed: not incremental" >&2
    exit 1
}
sample=$(ls "$registry"/population/part-06.dat)
sample_sha=$(sha256sum <"$sample")

echo "== the home token is lost"
softhsm2-util --delete-token --token home >/dev/null
if "$custody" open --hsm "$HOME_URI" "$secret" -o - >/dev/null 2>>"$logs/custody.err"; then
    echo "error: the secret still opened at the lost home token" >&2
    exit 1
fi
echo "   custody open at the home token fails: the token is gone"

echo "== a quorum unlocks the domain key into the embassy token"
run_custody unlock --manifest "$d/manifest.json" --hsm "$EMBASSY_URI" --site embassy \
    --passphrases "$PDIR" "${shares[@]}"
echo "   unlocked; the embassy token is enrolled"

echo "== restic restore of the latest snapshot at the embassy (password from the embassy token)"
restic -r "$repo" --password-command "$embassy_password" restore latest --target "$work/restored" >"$logs/restore.out"
diff -r "$registry" "$work/restored$registry"
echo "   every file restored at the embassy is byte for byte the registry's"

echo "== the drill's sample: one file restored with the password a quorum releases, no token"
quorum_password="$custody recover --manifest $d/manifest.json --no-hsm --passphrases $PDIR ${shares[*]} --archive $secret -o -"
SOFTHSM2_CONF=$work/absent.conf restic -r "$repo" --password-command "$quorum_password" \
    restore latest --include "$sample" --target "$work/sample" >"$logs/sample.out"
[[ $(sha256sum <"$work/sample$sample") == "$sample_sha" ]]
echo "   $(basename -- "$sample") restored with the quorum's password matches its SHA-256"

echo "== key change: a new secret, restic key add, the old key removed"
new_secret=$work/keys/registries-restic-2.custody
"$custody" secret new --manifest "$d/manifest.json" --hsm "$EMBASSY_URI" \
    --purpose "restic repository of the registries (key change)" --replaces "$secret" \
    --out "$new_secret" | tee -a "$logs/custody.out"
new_password="$custody open --hsm '$EMBASSY_URI' $new_secret -o -"
old_id=$(restic -r "$repo" --password-command "$embassy_password" key list --json |
    sed -n 's/.*"current":true,"id":"\([0-9a-f]*\)".*/\1/p; s/.*"id":"\([0-9a-f]*\)"[^}]*"current":true.*/\1/p' | head -n1)
[[ -n $old_id ]] || { echo "error: restic key list named no current key" >&2; exit 1; }
# The new password goes to restic through a pipe (/dev/fd), never a file on disk.
restic -r "$repo" --password-command "$embassy_password" key add \
    --new-password-file <("$custody" open --hsm "$EMBASSY_URI" "$new_secret" -o -) >"$logs/key-add.out"
restic -r "$repo" --password-command "$new_password" key remove "$old_id" >"$logs/key-remove.out"
if restic -r "$repo" --password-command "$embassy_password" snapshots >/dev/null 2>&1; then
    echo "error: the old password still opens the repository" >&2
    exit 1
fi
restic -r "$repo" --password-command "$new_password" snapshots --json >"$logs/snapshots.json"
echo "   the new key opens the repository's $(grep -o '"short_id"' "$logs/snapshots.json" | wc -l) snapshots; the old one no longer does"
grep -q '"step":"secret.created".*"replaces_sha256"' "$d/transcript.jsonl"
echo "   the transcript records the new secret and the one it replaces (secret.created)"

echo "== borg, the same pattern: its passphrase from BORG_PASSCOMMAND"
command -v borg >/dev/null || {
    echo "   installing borgbackup (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends borgbackup >/dev/null
}
borg_secret=$work/keys/registries-borg.custody
run_custody secret new --manifest "$d/manifest.json" --hsm "$EMBASSY_URI" \
    --purpose "borg repository of the registries" --out "$borg_secret"
(
    export BORG_BASE_DIR=$work/borg-base
    export BORG_PASSCOMMAND="$custody open --hsm '$EMBASSY_URI' $borg_secret -o -"
    borg init --encryption=repokey-blake2 "$work/borg" 2>>"$logs/borg.err"
    borg create "$work/borg::registries" "$registry/population" 2>>"$logs/borg.err"
    mkdir "$work/borg-restored"
    cd "$work/borg-restored" && borg extract "$work/borg::registries" 2>>"$logs/borg.err"
)
diff -r "$registry/population" "$work/borg-restored$registry/population"
echo "   borg: repository made, archive created and extracted byte for byte, the passphrase from custody"

echo "== the password is nowhere in clear"
for archive in "$secret" "$new_secret" "$borg_secret"; do
    if "$custody" open --hsm "$EMBASSY_URI" "$archive" -o - |
        grep -rlFf /dev/stdin "$work" "$logs"; then
        echo "error: a file above holds a repository password in clear" >&2
        exit 1
    fi
done
echo "   no file under the work directory, and nothing custody printed, holds any of the three"
echo
printf 'RESTIC UNDER CUSTODY: %s registry; snapshot 1 added %s in %.1f s, snapshot 2 added %s in %.1f s for %s changed; restored at the embassy byte for byte\n' \
    "$(mib "$size")" "$(mib "$added1")" "$time1" "$(mib "$added2")" "$time2" "$(mib "$changed")"
