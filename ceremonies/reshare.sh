#!/usr/bin/env bash
# ceremonies/reshare.sh — resharing to new officials (reshare.md), the same nine steps.
#
#   reshare.sh [--rehearsal]        rehearse it on throwaway SoftHSM tokens, no pauses: genesis 3 of
#                                   5, then a reshare to 3 of 4 new officials, the old set revoked
#                                   (what CI runs)
#   reshare.sh --manifest M --officials NEW.toml --threshold T [--reason TEXT] SHARE...
#                                   the real reshare: officials type their passphrases; the script
#                                   pauses at every reading aloud and for the witness's initials
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ceremony reshare 9 "$@"

if [[ -z "$REHEARSAL" ]]; then
    check_args "--manifest --officials --threshold --reason --expect-domain --expect-manifest --passphrases --kdf-memory-kib --kdf-passes --kdf-lanes" \
        "--new-transcript --insecure-kdf" "$@"
    manifest=$(opt_last --manifest "$@")
    [[ -n "$manifest" ]] || usage_error "--manifest M is required"
    need_file --manifest "$manifest"
    officials=$(opt_last --officials "$@")
    [[ -n "$officials" ]] || usage_error "--officials NEW.toml is required"
    need_file --officials "$officials"
    need_threshold "$(opt_last --threshold "$@")"
    need_shares 1 "${POSITIONAL[@]}"
fi

custody=$(custody_binary)
if [[ -n "$REHEARSAL" ]]; then
    work=$(mktemp -d -t custody-reshare.XXXXXX)
    CLEANUP+=("$work")
    EXCEPTIONS=$work/exceptions.log
    rehearsal_room "$work"
    d=$work/ee-registries
    rehearsal_note "genesis (3 of 5) on the home token"
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
manifest=$(opt_last --manifest "$@")
pdir=$(opt_last --passphrases "$@")
dir=$(dirname -- "$manifest")

step 1 "Open the ceremony"
say "This is the resharing of the domain key to a new list of officials, on $(date -u '+%d %B %Y'), at $(date -u +%H:%M) UTC. The reason is written on the sheet. Everyone present signs in now."
pause "the Internal Witness has recorded every participant and the reason on the sheet"

step 2 "Check the ceremony machine"
"$custody" selftest

step 3 "Check the domain's public files"
"$custody" audit "$dir"

step 4 "Reshare: the quorum, then each new official seals and verifies a new share"
"$custody" reshare "$@"

step 5 "Read the digests aloud and write them down"
say "I read the new manifest digest, the key check value, unchanged, and the transcript closing digest, as printed above, in words. The witness writes them; the auditor repeats them."
pause "the witness has written the digests and the revoked set on the sheet"

step 6 "Audit again: the old set is revoked"
"$custody" audit "$dir"
if [[ -n "$REHEARSAL" ]]; then
    rehearsal_note "a revoked share is refused by name"
    if "$custody" share verify --manifest "$manifest" --passphrase-file "$PDIR/justice.pass" \
        "$dir/history/shares-e1-"*/justice.share; then
        echo "a revoked share was accepted" >&2
        exit 1
    fi
fi

step 7 "Drill with the new shares"
drill_after "$@"

step 8 "Copy the new shares to two removable media and verify each copy"
verify_copies "$manifest" "$pdir"
pause "every copy is verified, sealed in its bag and its bag number is in the inventory"

step 9 "Close the ceremony"
say "The resharing is closed at $(date -u +%H:%M) UTC. The old share files are kept for witnessed destruction. I read the attestation; everyone present signs it and signs out."
pause "everyone has signed the attestation and signed out"
ceremony_complete
