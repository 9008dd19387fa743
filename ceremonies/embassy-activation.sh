#!/usr/bin/env bash
# ceremonies/embassy-activation.sh — embassy activation (embassy-activation.md), the same nine steps.
#
#   embassy-activation.sh [--rehearsal]
#                                   rehearse the whole story on throwaway SoftHSM tokens, no pauses:
#                                   genesis at home, a backup sealed, the home token destroyed, a
#                                   quorum unlocking at the embassy (what CI runs)
#   embassy-activation.sh --manifest M --hsm URI [--site SITE] [--archive ARCHIVE] SHARE...
#                                   the real ceremony: officials type their passphrases; the script
#                                   pauses at every reading aloud and for the witness's initials
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ceremony embassy-activation 9 "$@"

# --archive is the script's own (step 8), not custody unlock's.
strip_archive() {
    UNLOCK=() ARCHIVE=""
    while [[ $# -gt 0 ]]; do
        if [[ $1 == --archive ]]; then ARCHIVE=${2:-}; shift 2 || shift; else UNLOCK+=("$1"); shift; fi
    done
}

if [[ -z "$REHEARSAL" ]]; then
    check_args "--manifest --hsm --site --expect-domain --expect-manifest --passphrases --archive" \
        "--session-only --new-transcript" "$@"
    manifest=$(opt_last --manifest "$@")
    [[ -n "$manifest" ]] || usage_error "--manifest M is required"
    need_file --manifest "$manifest"
    [[ $(opt_all --hsm "$@" | wc -l) -eq 1 ]] || usage_error "--hsm URI is required, once (the embassy token)"
    archive=$(opt_last --archive "$@")
    [[ -z "$archive" ]] || need_file --archive "$archive"
    need_shares 1 "${POSITIONAL[@]}"
fi

custody=$(custody_binary)
if [[ -n "$REHEARSAL" ]]; then
    work=$(mktemp -d -t custody-activation.XXXXXX)
    CLEANUP+=("$work")
    EXCEPTIONS=$work/exceptions.log
    rehearsal_room "$work"
    rehearsal_note "genesis at home (3 of 5), and one backup sealed there"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --site Tallinn --out "$work/ee-registries" --passphrases "$PDIR" >/dev/null
    head -c 100000 /dev/urandom >"$work/population.dat"
    "$custody" seal --manifest "$work/ee-registries/manifest.json" --hsm "$HOME_URI" \
        --out-dir "$work" "$work/population.dat" >/dev/null
    echo "domain ee-registries created; its key is on the home token; population.dat.custody sealed"
    rehearsal_note "the home site is lost (the home token is destroyed)"
    softhsm2-util --delete-token --token home >/dev/null
    if "$custody" hsm probe "$HOME_URI" >/dev/null 2>&1; then
        echo "the home token still answers" >&2
        exit 1
    fi
    echo "the home token is gone"
    shares=("$work/ee-registries/shares/cio.share" "$work/ee-registries/shares/ria.share" "$work/ee-registries/shares/auditor-general.share")
    set -- --manifest "$work/ee-registries/manifest.json" --hsm "$EMBASSY_URI" --site Luxembourg \
        --passphrases "$PDIR" --archive "$work/population.dat.custody" "${shares[@]}"
fi
strip_archive "$@"
manifest=$(opt_last --manifest "$@")
hsm=$(opt_last --hsm "$@")
dir=$(dirname -- "$manifest")

step 1 "Open the ceremony"
say "This is the activation of the domain key at the data embassy, on $(date -u '+%d %B %Y'), at $(date -u +%H:%M) UTC. The reason for this activation is written on the sheet. Everyone present signs in now."
pause "the Internal Witness has recorded every participant and the reason on the sheet"

step 2 "Check the ceremony machine"
"$custody" selftest

step 3 "Check the embassy HSM and record its serial"
"$custody" hsm probe "$hsm"
pause "the witness has written the token's serial (the end of the token line above: serial …) in the inventory"

step 4 "Check the domain's public files"
if ! "$custody" audit "$dir"; then
    echo "WARNING: the audit failed; recovery goes on. IW records this in the exceptions log."
    printf '%s UTC  embassy-activation step 4: the audit of %s failed; recovery went on\n' \
        "$(date -u '+%Y-%m-%d %H:%M')" "$dir" >>"$EXCEPTIONS"
fi

step 5 "Unlock: the officials type their passphrases"
"$custody" unlock "${UNLOCK[@]}"

step 6 "Read the digests aloud and write them down"
say "I read the manifest digest, when the token was enrolled, and the transcript closing digest, as printed above, in words. The witness writes them down; the next ceremony expects this manifest digest."
pause "the witness has written the digests on the sheet"

step 7 "Audit again and record the tokens the domain enrols"
"$custody" audit "$dir"
"$custody" inspect "$manifest" | grep '^token'

step 8 "Open one archive as a check"
if [[ -n "$ARCHIVE" ]]; then
    "$custody" verify --hsm "$hsm" "$ARCHIVE"
else
    echo "no --archive given: CA runs 'custody verify --hsm URI ARCHIVE' on one archive now"
    pause "one archive has verified ok"
fi

step 9 "Copy the domain directory back and close the ceremony"
say "The activation at the embassy is closed at $(date -u +%H:%M) UTC. The domain directory is copied back to the home site's copy. I read the attestation; everyone present signs it and signs out."
pause "everyone has signed the attestation and signed out"
ceremony_complete
