#!/usr/bin/env bash
# ceremonies/genesis.sh — the genesis ceremony of genesis.md, the same ten steps.
#
#   genesis.sh [--rehearsal]        rehearse it on throwaway SoftHSM tokens, no pauses (what CI runs)
#   genesis.sh --domain D --officials F --threshold T --hsm URI [--hsm URI]... [--site NAME] --out DIR
#                                   the real ceremony: officials type their passphrases; the script
#                                   pauses at every reading aloud and for the witness's initials
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ceremony genesis 10 "$@"

if [[ -z "$REHEARSAL" ]]; then
    check_args "--domain --officials --threshold --hsm --site --out --passphrases --kdf-memory-kib --kdf-passes --kdf-lanes" \
        "--insecure-kdf" "$@"
    [[ ${#POSITIONAL[@]} -eq 0 ]] || usage_error "unexpected argument ${POSITIONAL[0]}"
    [[ -n "$(opt_last --domain "$@")" ]] || usage_error "--domain D is required"
    officials=$(opt_last --officials "$@")
    [[ -n "$officials" ]] || usage_error "--officials FILE is required"
    need_file --officials "$officials"
    need_threshold "$(opt_last --threshold "$@")"
    [[ -n "$(opt_last --hsm "$@")" ]] || usage_error "--hsm URI is required (once per token)"
    out=$(opt_last --out "$@")
    [[ -n "$out" ]] || usage_error "--out DIR is required"
    [[ ! -e "$out" ]] || usage_error "--out $out already exists"
fi

custody=$(custody_binary)
if [[ -n "$REHEARSAL" ]]; then
    work=$(mktemp -d -t custody-genesis.XXXXXX)
    CLEANUP+=("$work")
    EXCEPTIONS=$work/exceptions.log
    rehearsal_room "$work"
    set -- --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --site Tallinn --out "$work/ee-registries" --passphrases "$PDIR"
fi
mapfile -t hsms < <(opt_all --hsm "$@")
out=$(opt_last --out "$@")
domain=$(opt_last --domain "$@")
pdir=$(opt_last --passphrases "$@")

step 1 "Open the ceremony"
say "This is the genesis ceremony of domain $domain, on $(date -u '+%d %B %Y'), at $(date -u +%H:%M) UTC. Everyone present signs in now. Nothing leaves this room until the ceremony is closed."
pause "the Internal Witness has recorded every participant on the sign-in sheet"

step 2 "Check the ceremony machine"
"$custody" selftest

step 3 "Check every HSM and record its serial"
for uri in "${hsms[@]}"; do "$custody" hsm probe "$uri"; done
pause "the witness has written each token's serial (the end of the token line above: serial …) in the inventory"

step 4 "Generate and split the key; officials seal and verify their shares"
"$custody" genesis "$@"

step 5 "Read the digests aloud and write them down"
say "I read the domain fingerprint, the manifest digest, the key check value and the transcript closing digest, as printed above, in words. The witness writes them; the auditor repeats them."
pause "the witness has written the four digests on the sheet and the auditor has repeated them"

step 6 "Audit the new domain"
"$custody" audit "$out"

step 7 "Record the tokens the domain enrols"
"$custody" inspect "$out/manifest.json" | grep '^token'
pause "the witness has ticked each token serial against the inventory"

step 8 "Copy each share to two removable media and verify each copy"
verify_copies "$out/manifest.json" "$pdir"
pause "every copy is verified, sealed in its bag and its bag number is in the inventory"

step 9 "Hand over the shares and copy the public files"
pause "each official has received their two sealed bags and the public files are copied"

step 10 "Close the ceremony"
say "The genesis ceremony of domain $domain is closed at $(date -u +%H:%M) UTC. I read the attestation; everyone present signs it and signs out."
pause "everyone has signed the attestation and signed out"
ceremony_complete
