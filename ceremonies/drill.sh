#!/usr/bin/env bash
# ceremonies/drill.sh — the quarterly recovery drill (drill.md), the same seven steps.
#
#   drill.sh [--rehearsal]          rehearse it, no pauses: a genesis on a throwaway token, then the
#                                   drill (what CI runs)
#   drill.sh --manifest M SHARE...  the real drill: officials type their passphrases; the key goes
#                                   only into a throwaway SoftHSM token, destroyed at the end; the
#                                   script pauses at every reading aloud and for the witness's initials
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ceremony drill 7 "$@"

if [[ -z "$REHEARSAL" ]]; then
    check_args "--manifest --expect-domain --expect-manifest --passphrases" "--new-transcript" "$@"
    manifest=$(opt_last --manifest "$@")
    [[ -n "$manifest" ]] || usage_error "--manifest M is required"
    need_file --manifest "$manifest"
    need_shares 1 "${POSITIONAL[@]}"
fi

custody=$(custody_binary)
if [[ -n "$REHEARSAL" ]]; then
    work=$(mktemp -d -t custody-drill.XXXXXX)
    CLEANUP+=("$work")
    EXCEPTIONS=$work/exceptions.log
    rehearsal_room "$work"
    rehearsal_note "genesis (3 of 5) on the home token"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --out "$work/ee-registries" --passphrases "$PDIR" >/dev/null
    echo "domain ee-registries created, with its canary archive"
    # The drill makes its own throwaway SoftHSM; it must not inherit the rehearsal room's.
    unset SOFTHSM2_CONF
    d=$work/ee-registries
    set -- --manifest "$d/manifest.json" --passphrases "$PDIR" \
        "$d/shares/justice.share" "$d/shares/president-office.share" "$d/shares/auditor-general.share"
fi
manifest=$(opt_last --manifest "$@")
dir=$(dirname -- "$manifest")

step 1 "Open the drill"
say "This is the recovery drill of $(date -u '+%B %Y'), on $(date -u '+%d %B %Y') at $(date -u +%H:%M) UTC. The officials taking part are written on the sheet. Everyone present signs in now."
pause "the Internal Witness has recorded every participant on the sheet"

step 2 "Check the ceremony machine"
"$custody" selftest

step 3 "Check the domain's public files"
"$custody" audit "$dir"

step 4 "Drill: the officials type their passphrases"
"$custody" drill "$@"

step 5 "Record the result"
say "The drill passed. I read the time it took, as printed above."
pause "the witness has written PASS and the seconds on the sheet"

step 6 "Audit again"
"$custody" audit "$dir"

step 7 "Close the drill"
say "The recovery drill is closed at $(date -u +%H:%M) UTC. I read the attestation; everyone present signs it and signs out."
pause "everyone has signed the attestation and signed out"
ceremony_complete
