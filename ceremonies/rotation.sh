#!/usr/bin/env bash
# ceremonies/rotation.sh — key rotation (rotation.md), step by step.
#
#   rotation.sh                     rehearse it on throwaway SoftHSM tokens: genesis on the home
#                                   and embassy tokens, archives sealed, a rotation of both tokens
#                                   interrupted (killed) and resumed (what CI runs)
#   rotation.sh --manifest M --hsm URI [--hsm URI ...] [--retire-token SERIAL ...] --archives DIR SHARE...
#                                   the real rotation, one --hsm per enrolled token: officials
#                                   type their passphrases
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

custody=$(custody_binary)
if [[ $# -eq 0 ]]; then
    work=$(mktemp -d -t custody-rotation.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    rehearsal_room "$work"
    d=$work/ee-registries
    step "Rehearsal: genesis (3 of 5) on the home and embassy tokens, and three sealed backups"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --hsm "$EMBASSY_URI" --out "$d" --passphrases "$PDIR" >/dev/null
    mkdir "$work/archives"
    for name in population land business; do head -c 300000 /dev/urandom >"$work/$name.dat"; done
    "$custody" seal --manifest "$d/manifest.json" --hsm "$HOME_URI" --out-dir "$work/archives" \
        "$work/population.dat" "$work/land.dat" "$work/business.dat"
    set -- --manifest "$d/manifest.json" --hsm "$HOME_URI" --hsm "$EMBASSY_URI" \
        --archives "$work/archives" --passphrases "$PDIR" \
        "$d/shares/cio.share" "$d/shares/ria.share" "$d/shares/auditor-general.share"
    step "Rehearsal: a rotation killed part-way (a power cut, a crash)"
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
fi

manifest="" archives=""
tokens=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --manifest) manifest=${args[i + 1]} ;;
        --hsm) tokens+=("${args[i + 1]}") ;;
        --archives) archives=${args[i + 1]} ;;
    esac
done
[[ -n "$manifest" && ${#tokens[@]} -gt 0 && -n "$archives" ]] || { echo "rotation.sh: --manifest, --hsm and --archives are required (see rotation.md)" >&2; exit 2; }
dir=$(dirname -- "$manifest")

step "Check this machine (expected: every self-test ok, no swap; a FAIL stops the ceremony)"
"$custody" selftest

step "The tokens the domain enrols (each must be given with --hsm, or retired with --retire-token)"
"$custody" inspect "$manifest" | grep '^token'

step "Check every token (expected: every line ok, then ready:)"
for hsm in "${tokens[@]}"; do "$custody" hsm probe "$hsm"; done

step "Rotate (or resume): quorum, new shares sealed and verified, the new key on every token, archives rewrapped, old key destroyed"
"$custody" rotate "$@"

step "Verify every archive under the new key on every token (expected: ok for each)"
for hsm in "${tokens[@]}"; do "$custody" verify --hsm "$hsm" "$archives"/*.custody; done

step "Audit (expected: ok, epoch one higher)"
"$custody" audit "$dir"

step "Drill with the new shares (expected: DRILL PASSED: the canary opens with the key in force)"
drill_after "$@"

step "Done: read the new manifest digest aloud, distribute the new manifest, sign the sheet"
