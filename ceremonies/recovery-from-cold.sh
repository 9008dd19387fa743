#!/usr/bin/env bash
# ceremonies/recovery-from-cold.sh — recovery from cold (recovery-from-cold.md), the same seven
# steps. It runs from a recovery kit, on a computer with nothing but a base system: the kit's own
# custody binary, bash and coreutils; no Rust, no PKCS#11 module, no network.
#
#   recovery-from-cold.sh [--rehearsal]
#       rehearse it (what CI runs; needs root): on this machine, a genesis of 3 of 5 officials with
#       the default KDF, a nested tree of archives sealed at a throwaway token and a kit written;
#       then a minimal Debian root is bootstrapped (scripts/debian-root.sh) with nothing added, the
#       kit, three share files and the archives are copied in, and the real procedure below runs
#       in it with no network (`unshare --net chroot`), someone pressing Enter at each pause. Every
#       recovered file is compared byte for byte with its original, and the time from "kit copied"
#       to "last archive checked" is printed.
#   recovery-from-cold.sh --kit KIT --archives TREE --out-dir DIR [--passphrases PDIR] SHARE...
#       the real recovery: officials type their passphrases; pauses at every reading aloud.
#       Also --expect-domain and --expect-manifest, as custody recover takes them.
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ceremony recovery-from-cold 7 "$@"

# rehearse: stages a domain, its archives and a kit on this machine, then runs this script's
# real procedure in a cold root and checks what it recovered. Exits.
rehearse() {
    [[ $(id -u) -eq 0 ]] || usage_error "the rehearsal needs root: it bootstraps a Debian root and runs the recovery in it with chroot"
    . "$REPO/scripts/debian-root.sh"
    local custody work d root name shares=() started tenths files=0 bytes=0
    custody=$(custody_binary)
    work=$(mktemp -d -t custody-cold.XXXXXX)
    CLEANUP+=("$work")
    EXCEPTIONS=$work/exceptions.log
    rehearsal_room "$work"
    d=$work/ee-registries
    rehearsal_note "genesis (3 of 5, default KDF) on the home token"
    "$custody" genesis --domain ee-registries --officials "$OFFICIALS" --threshold 3 \
        --hsm "$HOME_URI" --out "$d" --passphrases "$PDIR" >/dev/null
    rehearsal_note "a nested tree of registries sealed at the home token"
    mkdir -p "$work/plain"
    head -c 8000000 /dev/urandom >"$work/plain/population.csv"
    head -c 1500000 /dev/urandom >"$work/plain/land-parcels.db"
    head -c 250000 /dev/urandom >"$work/plain/north-map.tif"
    printf 'minutes of the board, 30 November\n' >"$work/plain/minutes 2026-11.txt"
    : >"$work/plain/empty-register.csv"
    seal_into() { # seal_into SUBDIR FILE...
        local dir=$work/archives/$1
        shift
        mkdir -p "$dir"
        "$custody" seal --manifest "$d/manifest.json" --hsm "$HOME_URI" --out-dir "$dir" "$@" >/dev/null
    }
    seal_into population/2026 "$work/plain/population.csv"
    seal_into land "$work/plain/land-parcels.db"
    seal_into land/maps/north "$work/plain/north-map.tif"
    seal_into board "$work/plain/minutes 2026-11.txt" "$work/plain/empty-register.csv"
    find "$work/archives" -name '*.custody' | sed "s|^$work/archives/|   archives/|" | sort
    rehearsal_note "the recovery kit, written with the released binary"
    "$custody" kit --manifest "$d/manifest.json" --out "$work/kit" | tail -n 3

    rehearsal_note "a cold machine: a minimal Debian root, nothing added"
    root=$work/root
    mkdir "$root"
    debian_root "$root"
    root_mount "$root"
    UNMOUNT+=("$root")
    if chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c \
        'command -v cargo || command -v rustc || command -v softhsm2-util || ls /usr/lib/*/pkcs11 /usr/lib/softhsm' >/dev/null 2>&1; then
        echo "error: the cold root has a Rust toolchain or a PKCS#11 module; it is not cold" >&2
        exit 1
    fi
    echo "the cold root has no Rust toolchain, no SoftHSM, no PKCS#11 module; it runs with no network"
    mkdir -m 700 "$root/recovery"
    cp -a "$work/archives" "$root/recovery/archives"
    mkdir -m 700 "$root/recovery/shares" "$root/recovery/pdir"
    for name in justice president-office auditor-general; do
        cp "$d/shares/$name.share" "$root/recovery/shares/"
        cp "$PDIR/$name.pass" "$root/recovery/pdir/"
        shares+=("/recovery/shares/$name.share")
    done
    cp -a "$work/kit" "$root/recovery/kit"
    rehearsal_note "kit copied: the recovery begins, in the cold root, with no network"
    started=$(date +%s%N)
    # Someone at the keyboard presses Enter at every pause; the passphrases come from files.
    { yes '' || true; } | unshare --net chroot "$root" /usr/bin/env -i \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb \
        CUSTODY_EXCEPTIONS=/recovery/exceptions.log \
        bash /recovery/kit/ceremonies/recovery-from-cold.sh --kit /recovery/kit \
        --archives /recovery/archives --out-dir /recovery/recovered --passphrases /recovery/pdir \
        "${shares[@]}"
    rehearsal_note "every recovered file against its original, byte for byte"
    for name in "$work/plain"/*; do
        cmp -- "$name" "$root/recovery/recovered/$(basename -- "$name")"
        files=$((files + 1)) bytes=$((bytes + $(stat -c %s -- "$name")))
    done
    [[ $(find "$root/recovery/recovered" -type f | wc -l) -eq $files ]] || {
        echo "error: the recovery wrote other files than the $files originals" >&2
        exit 1
    }
    tenths=$((($(date +%s%N) - started) / 100000000))
    printf '\nRECOVERY FROM COLD REHEARSED: %d files (%d bytes) identical to their originals;\n' "$files" "$bytes"
    printf 'kit copied -> last archive checked: %d.%d s (3 officials, default KDF)\n' $((tenths / 10)) $((tenths % 10))
    exit 0
}
[[ -z "$REHEARSAL" ]] || rehearse

check_args "--kit --archives --out-dir --passphrases --expect-domain --expect-manifest" "" "$@"
kit=$(opt_last --kit "$@")
archives=$(opt_last --archives "$@")
out_dir=$(opt_last --out-dir "$@")
[[ -n "$kit" ]] || usage_error "--kit KIT is required"
[[ -n "$archives" ]] || usage_error "--archives TREE is required"
[[ -n "$out_dir" ]] || usage_error "--out-dir DIR is required"
need_dir --kit "$kit"
need_file --kit "$kit/domain/manifest.json"
need_dir --archives "$archives"
need_shares 1 "${POSITIONAL[@]}"
# The kit's own binary, checked against the kit's SHA256SUMS, unless CUSTODY names another.
export CUSTODY=${CUSTODY:-$kit/custody}
custody=$(custody_binary)
recover=(recover --manifest "$kit/domain/manifest.json" --no-hsm --archives "$archives" --out-dir "$out_dir")
for option in --passphrases --expect-domain --expect-manifest; do
    value=$(opt_last "$option" "$@")
    [[ -z "$value" ]] || recover+=("$option" "$value")
done

step 1 "Open the recovery"
say "This is a recovery from cold, on $(date -u '+%d %B %Y') at $(date -u +%H:%M) UTC. Everyone present signs in on the sheet, with their role."
pause "the Internal Witness has recorded every participant on the sheet"

step 2 "Check the kit"
(cd "$kit" && sha256sum --check --strict --quiet SHA256SUMS)
echo "sha256sum: every file of the kit matches SHA256SUMS"
"$custody" kit --verify "$kit"
say "The custody SHA-256 is the one printed above. I compare it with the published SHA-256 of the release on the sheet."
pause "the SHA-256 matches the release sheet (if not: stop, and take another copy of the kit)"

step 3 "Check the computer"
echo "machine: $(uname -m), $(getconf GNU_LIBC_VERSION) (custody needs x86_64 and glibc 2.34 or newer)"
"$custody" --version
pause "the computer is disconnected from every network"

step 4 "Call the officials"
"$custody" inspect "$kit/domain/manifest.json"
say "Each official finds their name in the list above. In the next step, before anyone types, custody prints the domain fingerprint in words: each official compares them with the words on their own share sheet and says 'same' or 'different'; at 'different' we stop."
pause "a threshold of officials is present and their share files are copied in"

step 5 "Recover: the officials type their passphrases"
mkdir -p -m 700 -- "$out_dir"
"$custody" "${recover[@]}" "${POSITIONAL[@]}"

step 6 "Check the output"
count=$(find "$archives" -name '*.custody' -type f | wc -l)
restored=$(find "$out_dir" -maxdepth 1 -type f | wc -l)
[[ $restored -eq $count ]] || {
    echo "error: $count archives under $archives, but $restored files in $out_dir" >&2
    exit 1
}
(cd "$out_dir" && find . -maxdepth 1 -type f -printf '%P\0' | sort -z | xargs -0 -r sha256sum --) >"$out_dir.sha256"
echo "$restored files in $out_dir, every one authenticated; their SHA-256 are in $out_dir.sha256"
say "$restored archives were recovered, every one authenticated. This copy of the kit now records the recovery in domain/transcript.jsonl: it is kept with the sheet. The officials take their share copies back, sealed again in new bags."
pause "every official has their share copies back, sealed, and the bag numbers are on the sheet"

step 7 "Close the recovery"
say "The recovery from cold is closed at $(date -u +%H:%M) UTC. I read the attestation; everyone present signs it and signs out."
pause "everyone has signed the attestation and signed out"
ceremony_complete
