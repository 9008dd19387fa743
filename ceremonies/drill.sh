#!/usr/bin/env bash
# ceremonies/drill.sh — the quarterly recovery drill (drill.md), step by step.
#
#   drill.sh                        rehearse it: a genesis on a throwaway token, then the drill
#                                   (what CI runs)
#   drill.sh --manifest M SHARE...  the real drill: officials type their passphrases; the key goes
#                                   only into a throwaway SoftHSM token, destroyed at the end
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

custody=$(custody_binary)
if [[ $# -eq 0 ]]; then
    work=$(mktemp -d -t custody-drill.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    rehearsal_room "$work"
    step "Rehearsal: genesis (3 of 5) on the home token"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --out "$work/ee-registries" --passphrases "$PDIR" >/dev/null
    echo "domain ee-registries created, with its canary archive"
    # The drill makes its own throwaway SoftHSM; it must not inherit the rehearsal room's.
    unset SOFTHSM2_CONF
    d=$work/ee-registries
    set -- --manifest "$d/manifest.json" --passphrases "$PDIR" \
        "$d/shares/justice.share" "$d/shares/president-office.share" "$d/shares/auditor-general.share"
fi

manifest=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [[ ${args[i]} == --manifest ]] && manifest=${args[i + 1]}
done
[[ -n "$manifest" ]] || { echo "drill.sh: --manifest M is required (see drill.md)" >&2; exit 2; }
dir=$(dirname -- "$manifest")

step "Check this machine (expected: every self-test ok, no swap; a FAIL stops the ceremony)"
"$custody" selftest

step "Check the domain's public files (expected: ok)"
"$custody" audit "$dir"

step "Drill: the officials, when called, type their passphrases (expected: DRILL PASSED in N s)"
"$custody" drill "$@"

step "Audit again: the drill is in the transcript"
"$custody" audit "$dir"

step "Done: record PASS and the time on the drill sheet, sign it"
