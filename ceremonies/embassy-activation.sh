#!/usr/bin/env bash
# ceremonies/embassy-activation.sh — embassy activation (embassy-activation.md), step by step.
#
#   embassy-activation.sh           rehearse the whole story on throwaway SoftHSM tokens: genesis
#                                   at home, the home token destroyed, a quorum unlocking at the
#                                   embassy (what CI runs)
#   embassy-activation.sh --manifest M --hsm URI [--site SITE] SHARE...
#                                   the real ceremony: officials type their passphrases
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

custody=$(custody_binary)
if [[ $# -eq 0 ]]; then
    work=$(mktemp -d -t custody-activation.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    rehearsal_room "$work"
    step "Rehearsal: genesis at home (3 of 5)"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --site Tallinn --out "$work/ee-registries" --passphrases "$PDIR" >/dev/null
    echo "domain ee-registries created; its key is on the home token"
    step "Rehearsal: the home site is lost (the home token is destroyed)"
    softhsm2-util --delete-token --token home >/dev/null
    if "$custody" hsm probe "$HOME_URI" >/dev/null 2>&1; then
        echo "the home token still answers" >&2
        exit 1
    fi
    echo "the home token is gone"
    shares=("$work/ee-registries/shares/cio.share" "$work/ee-registries/shares/ria.share" "$work/ee-registries/shares/auditor-general.share")
    set -- --manifest "$work/ee-registries/manifest.json" --hsm "$EMBASSY_URI" --site Luxembourg \
        --passphrases "$PDIR" "${shares[@]}"
fi

manifest="" hsm=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --manifest) manifest=${args[i + 1]} ;;
        --hsm) hsm=${args[i + 1]} ;;
    esac
done
[[ -n "$manifest" && -n "$hsm" ]] || { echo "embassy-activation.sh: --manifest M and --hsm URI are required (see embassy-activation.md)" >&2; exit 2; }
dir=$(dirname -- "$manifest")

step "Check this machine (expected: every self-test ok, no swap; a FAIL stops the ceremony)"
"$custody" selftest

step "Check the embassy HSM (expected: every line ok, then ready:)"
"$custody" hsm probe "$hsm"

step "Check the domain's public files (expected: ok; compare the manifest digest with the signed sheet)"
"$custody" audit "$dir" || echo "WARNING: the audit failed; recovery goes on — record this on the sheet"

step "Unlock: each official, when called, types their passphrase (the token is enrolled the first time)"
"$custody" unlock "$@"

step "Audit again: the activation is in the transcript"
"$custody" audit "$dir"

step "Done: read the closing digest aloud, write it on the sheet, sign it"
