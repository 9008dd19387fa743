#!/usr/bin/env bash
# ceremonies/rotation.sh — key rotation (rotation.md), the same ten steps.
#
#   rotation.sh [--rehearsal]       rehearse it on throwaway SoftHSM tokens, no pauses: genesis on
#                                   the home and embassy tokens, archives sealed, a rotation of both
#                                   tokens interrupted (killed) and resumed (what CI runs)
#   rotation.sh --manifest M --hsm URI [--hsm URI ...] [--retire-token SERIAL ...] --archives DIR SHARE...
#                                   the real rotation, one --hsm per enrolled token: officials type
#                                   their passphrases; the script pauses at every reading aloud and
#                                   for the witness's initials
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ceremony rotation 10 "$@"

if [[ -z "$REHEARSAL" ]]; then
    check_args "--manifest --hsm --retire-token --archives --leave --expect-domain --expect-manifest --passphrases --kdf-memory-kib --kdf-passes --kdf-lanes" \
        "--keep-old --new-transcript --insecure-kdf" "$@"
    manifest=$(opt_last --manifest "$@")
    [[ -n "$manifest" ]] || usage_error "--manifest M is required"
    need_file --manifest "$manifest"
    [[ -n "$(opt_last --hsm "$@")" ]] || usage_error "--hsm URI is required (once per enrolled token)"
    [[ -n "$(opt_last --archives "$@")" ]] || usage_error "--archives DIR is required"
    while read -r a; do need_dir --archives "$a"; done < <(opt_all --archives "$@")
    need_shares 1 "${POSITIONAL[@]}"
fi

custody=$(custody_binary)
if [[ -n "$REHEARSAL" ]]; then
    work=$(mktemp -d -t custody-rotation.XXXXXX)
    CLEANUP+=("$work")
    EXCEPTIONS=$work/exceptions.log
    rehearsal_room "$work"
    d=$work/ee-registries
    rehearsal_note "genesis (3 of 5) on the home and embassy tokens, and three sealed backups"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --hsm "$EMBASSY_URI" --out "$d" --passphrases "$PDIR" >/dev/null
    mkdir "$work/archives"
    for name in population land business; do head -c 300000 /dev/urandom >"$work/$name.dat"; done
    "$custody" seal --manifest "$d/manifest.json" --hsm "$HOME_URI" --out-dir "$work/archives" \
        "$work/population.dat" "$work/land.dat" "$work/business.dat"
    set -- --manifest "$d/manifest.json" --hsm "$HOME_URI" --hsm "$EMBASSY_URI" \
        --archives "$work/archives" --passphrases "$PDIR" \
        "$d/shares/cio.share" "$d/shares/ria.share" "$d/shares/auditor-general.share"
    rehearsal_note "a rotation killed part-way (a power cut, a crash)"
    "$custody" rotate "$@" >/dev/null 2>&1 &
    sleep 1.5
    kill -9 $! 2>/dev/null || true
    wait $! 2>/dev/null || true
    echo "killed; every archive must still open:"
    for name in population land business; do
        "$custody" open --hsm "$HOME_URI" "$work/archives/$name.dat.custody" -o "$work/$name.check" >/dev/null
        cmp -s "$work/$name.dat" "$work/$name.check" && echo "   $name: opens, identical"
        rm -f "$work/$name.check"
    done
    # The resume needs a quorum of the manifest in force: the old share files before the new
    # manifest is published, the new ones after. Officials bring both; custody takes its own.
    # Publication keeps the old set in history/shares-e1-<set>/ (FORMAT.md 8.4), if it began.
    old=$(printf '%s\n' "$d"/history/shares-e1-*)
    set -- "$@" "$old/cio.share" "$old/ria.share" \
        "$old/auditor-general.share" "$d/.rotation-e2/shares/cio.share" \
        "$d/.rotation-e2/shares/ria.share" "$d/.rotation-e2/shares/auditor-general.share"
    rehearsal_note "the ceremony proper: the rotation is run again (it resumes, or starts afresh if nothing was kept)"
fi
manifest=$(opt_last --manifest "$@")
mapfile -t tokens < <(opt_all --hsm "$@")
mapfile -t archives < <(opt_all --archives "$@")
pdir=$(opt_last --passphrases "$@")
dir=$(dirname -- "$manifest")

step 1 "Open the ceremony"
say "This is the rotation of the domain key to a new epoch, on $(date -u '+%d %B %Y'), at $(date -u +%H:%M) UTC. The reason for this rotation is written on the sheet. Everyone present signs in now."
pause "the Internal Witness has recorded every participant and the reason on the sheet"

step 2 "Check the ceremony machine"
"$custody" selftest

step 3 "Record the tokens the domain enrols and check each"
"$custody" inspect "$manifest" | grep '^token'
for hsm in "${tokens[@]}"; do "$custody" hsm probe "$hsm"; done
pause "the witness has ticked each enrolled token's serial in the inventory, or recorded it as retired"

step 4 "Rotate: the quorum, new shares, the new key on every token, archives rewrapped"
"$custody" rotate "$@"

step 5 "Read the digests aloud and write them down"
say "I read the new manifest digest, the key check value and the transcript closing digest, as printed above, in words. The witness writes them; the auditor repeats them."
pause "the witness has written the digests on the sheet"

step 6 "Verify every archive on every token"
for hsm in "${tokens[@]}"; do
    for a in "${archives[@]}"; do
        find "$a" -name '*.custody' -type f -print0 | xargs -0 -r "$custody" verify --hsm "$hsm"
    done
done

step 7 "Audit the domain"
"$custody" audit "$dir"

step 8 "Drill with the new shares"
drill_after "$@"

step 9 "Copy the new shares to two removable media and verify each copy"
verify_copies "$manifest" "$pdir"
pause "every copy is verified, sealed in its bag and its bag number is in the inventory"

step 10 "Close the ceremony"
say "The rotation is closed at $(date -u +%H:%M) UTC. The old share files are kept for witnessed destruction. I read the attestation; everyone present signs it and signs out."
pause "everyone has signed the attestation and signed out"
ceremony_complete
