#!/usr/bin/env bash
# ceremonies/genesis.sh — the genesis ceremony of genesis.md, step by step.
#
#   genesis.sh                      rehearse it on throwaway SoftHSM tokens (what CI runs)
#   genesis.sh --domain D --officials F --threshold T --hsm URI [--hsm URI]... --out DIR
#                                   the real ceremony: officials type their passphrases
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

custody=$(custody_binary)
if [[ $# -eq 0 ]]; then
    work=$(mktemp -d -t custody-genesis.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    rehearsal_room "$work"
    set -- --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --out "$work/ee-registries" --passphrases "$PDIR"
fi

out="" hsms=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --hsm) hsms+=("${args[i + 1]}") ;;
        --out) out=${args[i + 1]} ;;
    esac
done
[[ -n "$out" && ${#hsms[@]} -gt 0 ]] || { echo "genesis.sh: --out DIR and --hsm URI are required (see genesis.md)" >&2; exit 2; }

step "Check this machine (expected: every self-test ok, no swap; a FAIL stops the ceremony)"
"$custody" selftest

step "Check every HSM that will hold the key (expected: every line ok, then ready:)"
for uri in "${hsms[@]}"; do "$custody" hsm probe "$uri"; done

step "Genesis: generate, split, seal, import, prove, verify (officials come forward when called)"
"$custody" genesis "$@"

step "Audit the new domain directory (expected: audit of $out: ok)"
"$custody" audit "$out"

step "Done: read the digests above aloud, write them on the sheet, sign it (genesis.md, steps 7-10)"
