#!/usr/bin/env bash
# ceremonies/reshare.sh — resharing to new officials (reshare.md), step by step.
#
#   reshare.sh                      rehearse it on throwaway SoftHSM tokens: genesis 3 of 5, then
#                                   a reshare to 3 of 4 new officials, the old set revoked (what CI runs)
#   reshare.sh --manifest M --officials NEW.toml --threshold T [--reason TEXT] SHARE...
#                                   the real reshare: officials type their passphrases
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

custody=$(custody_binary)
rehearsal=""
if [[ $# -eq 0 ]]; then
    rehearsal=yes
    work=$(mktemp -d -t custody-reshare.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    rehearsal_room "$work"
    d=$work/ee-registries
    step "Rehearsal: genesis (3 of 5) on the home token"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --out "$d" --passphrases "$PDIR" >/dev/null
    # The new officials: the Minister of Justice retires, a state CISO joins.
    new=$work/new-officials.toml
    cat >"$new" <<'TOML'
[[official]]
id = "cio"
name = "Government CIO"
role = "Office of the Government CIO"

[[official]]
id = "ria"
name = "Director General of RIA"
role = "Information System Authority"

[[official]]
id = "president-office"
name = "Head of the President's Office"
role = "Office of the President"

[[official]]
id = "state-ciso"
name = "State Chief Information Security Officer"
role = "Information System Authority"
TOML
    od -An -N18 -tx1 /dev/urandom | tr -d ' \n' | fold -w6 | paste -sd' ' >"$PDIR/state-ciso.pass"
    chmod 600 "$PDIR/state-ciso.pass"
    set -- --manifest "$d/manifest.json" --officials "$new" --threshold 3 --reason "the Minister of Justice retired" \
        --passphrases "$PDIR" "$d/shares/cio.share" "$d/shares/justice.share" "$d/shares/ria.share"
fi

manifest=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [[ ${args[i]} == --manifest ]] && manifest=${args[i + 1]}
done
[[ -n "$manifest" ]] || { echo "reshare.sh: --manifest M is required (see reshare.md)" >&2; exit 2; }
dir=$(dirname -- "$manifest")

step "Check this machine (expected: every self-test ok, no swap; a FAIL stops the ceremony)"
"$custody" selftest

step "Check the domain's public files (expected: ok)"
"$custody" audit "$dir"

step "Reshare: the current quorum, then each new official seals and verifies a new share"
"$custody" reshare "$@"

step "Audit again (expected: ok, the old set listed as revoked)"
"$custody" audit "$dir"

if [[ -n "$rehearsal" ]]; then
    step "Rehearsal: a revoked share is refused by name"
    if "$custody" share verify --manifest "$manifest" --passphrase-file "$PDIR/justice.pass" \
        "$dir/history/shares-e1-"*/justice.share; then
        echo "a revoked share was accepted" >&2
        exit 1
    fi
fi

step "Drill with the new shares (expected: DRILL PASSED: the canary opens with the key in force)"
drill_after "$@"

step "Done: read the new manifest digest aloud, distribute the new manifest, sign the sheet"
