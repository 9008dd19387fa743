# shellcheck shell=bash
# ceremonies/lib.sh — shared by the ceremony scripts. Sourced, never run.
#
# Owns: finding (building) the custody binary, the numbered steps of the scripts (the same
# numbers and titles as the procedures), the pauses for reading aloud and initialling, the stop
# on failure ("CEREMONY STOPPED at step N") with its entry in the exceptions log, and the
# rehearsal room: throwaway SoftHSM tokens, the example officials and random passphrases in a
# temporary directory. Must never print a passphrase or a PIN.

CEREMONIES=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname -- "$CEREMONIES")

# custody_binary: prints the path of the verified custody binary: $CUSTODY, else `custody` on
# PATH. When CUSTODY_BUILD=1 is set (rehearsals, CI) it first builds the release binary with
# scripts/release.sh into $CUSTODY_RELEASE_DIR (default: target/release-dist) and uses that one.
# The binary must match its line in the SHA256SUMS beside it (links resolved); its SHA-256 is
# shown on stderr in groups to read aloud against the published one (docs/RELEASE.md). Any
# failure: a message on stderr saying what to do, and status 1; the ceremony must not start.
custody_binary() {
    local binary
    case ${CUSTODY_BUILD:-} in
        1)
            local dist=${CUSTODY_RELEASE_DIR:-$REPO/target/release-dist}
            [[ $dist == /* ]] || dist=$PWD/$dist
            binary=$dist/custody
            bash "$REPO/scripts/release.sh" "$dist" >&2 || {
                printf 'error: scripts/release.sh failed: no custody binary was built\nhint: read its output above; for a real ceremony unset CUSTODY_BUILD and set CUSTODY to the released binary\n' >&2
                return 1
            }
            ;;
        "")
            binary=${CUSTODY:-$(type -P custody)} || {
                printf 'error: no custody binary: CUSTODY is not set and there is no custody on PATH\nhint: set CUSTODY to the released binary, with its SHA256SUMS beside it (docs/RELEASE.md); to rehearse with a binary built from this checkout, set CUSTODY_BUILD=1\n' >&2
                return 1
            }
            ;;
        *)
            printf 'error: CUSTODY_BUILD=%s: only CUSTODY_BUILD=1 (build the release binary from this checkout) is understood\nhint: unset CUSTODY_BUILD to use $CUSTODY or custody on PATH\n' "$CUSTODY_BUILD" >&2
            return 1
            ;;
    esac
    custody_binary_check "$binary"
}

# custody_binary_check BINARY: BINARY against its line in the SHA256SUMS of its directory, links
# resolved; prints the resolved path on stdout and the SHA-256 on stderr, or refuses.
custody_binary_check() {
    local file sums name line expected="" found lines=0
    file=$(readlink -f -- "$1") && [[ -f $file && -x $file ]] || {
        printf 'error: custody binary %s: no such executable file\nhint: set CUSTODY to the released binary, with its SHA256SUMS beside it (docs/RELEASE.md)\n' "$1" >&2
        return 1
    }
    sums=$(dirname -- "$file")/SHA256SUMS name=$(basename -- "$file")
    [[ -f $sums ]] || {
        printf 'error: custody binary %s: no SHA256SUMS beside it (looked for %s)\nhint: copy the binary together with its SHA256SUMS from the release medium (docs/RELEASE.md); do not run an unchecked binary\n' "$file" "$sums" >&2
        return 1
    }
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ $line =~ ^([0-9a-fA-F]{64})\ [\ *](.*)$ && ${BASH_REMATCH[2]} == "$name" ]]; then
            expected=${BASH_REMATCH[1],,} lines=$((lines + 1))
        fi
    done <"$sums"
    [[ $lines -eq 1 ]] || {
        if [[ $lines -eq 0 ]]; then
            printf 'error: custody binary %s: %s has no line for %s\n' "$file" "$sums" "$name" >&2
        else
            printf 'error: custody binary %s: %s has %d lines for %s, where one is expected\n' "$file" "$sums" "$lines" "$name" >&2
        fi
        printf 'hint: copy the binary and its SHA256SUMS again from the release medium (docs/RELEASE.md); do not run an unchecked binary\n' >&2
        return 1
    }
    found=$(sha256sum <"$file") found=${found%% *}
    [[ $found == "$expected" ]] || {
        printf 'error: custody binary %s does not match %s: do not run it\n  expected %s\n  found    %s\nhint: the binary or its sums changed since the release; copy both again from the release medium, check them with `sha256sum -c SHA256SUMS` and against the published SHA-256 (docs/RELEASE.md)\n' \
            "$file" "$sums" "$(custody_digest_groups "$expected")" "$(custody_digest_groups "$found")" >&2
        return 1
    }
    printf 'custody binary %s matches %s\nSHA-256 %s\n  read it aloud: it must be the published SHA-256 of this release\n' \
        "$file" "$sums" "$(custody_digest_groups "$found")" >&2
    printf '%s\n' "$file"
}

# custody_digest_groups HEX: HEX in groups of four, as custody reads digests aloud.
custody_digest_groups() {
    printf '%s' "$1" | fold -w4 | paste -sd' '
}

# --- The ceremony's course ---------------------------------------------------------------
#
# ceremony NAME TOTAL "$@": call first, before anything else. No arguments, or --rehearsal
# alone, is a rehearsal on throwaway tokens with no pauses (what CI runs); sets REHEARSAL=yes
# then, and, unless CUSTODY names a binary (CI's, built once and checked), CUSTODY_BUILD=1
# (custody_binary builds and verifies the release binary from this checkout). Any other
# arguments are a real ceremony: it pauses at every read-aloud and initialling point.
# Arms the trap that prints "CEREMONY STOPPED at step N: TITLE" on any failure.
# CLEANUP lists directories removed at exit (never crossing into a mount); UNMOUNT lists roots
# whose mounts are undone first (root_unmount, scripts/debian-root.sh).
CEREMONY="" STEP_TOTAL=0 STEP=0 STEP_TITLE="" REHEARSAL="" EXCEPTIONS="" CLEANUP=() UNMOUNT=()
ceremony() {
    CEREMONY=$1 STEP_TOTAL=$2
    shift 2
    if [[ $# -eq 0 || ($# -eq 1 && $1 == --rehearsal) ]]; then
        REHEARSAL=yes
        [[ -n ${CUSTODY:-} ]] || export CUSTODY_BUILD=1
    elif [[ " $* " == *" --rehearsal "* ]]; then
        echo "$CEREMONY.sh: --rehearsal takes no other arguments (it rehearses on throwaway tokens)" >&2
        exit 2
    fi
    # The exceptions log of a real ceremony is a file in the current directory, beside the
    # paper sheet; a rehearsal keeps it in its throwaway directory.
    EXCEPTIONS=${CUSTODY_EXCEPTIONS:-$PWD/$CEREMONY-exceptions-$(date -u +%Y%m%d).log}
    set -o errtrace
    trap '_ceremony_exit $?' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# usage_error MESSAGE: an argument is missing or wrong; nothing has been done yet.
usage_error() {
    echo "$CEREMONY.sh: $* (see $CEREMONY.md; nothing was done)" >&2
    exit 2
}

# need_file OPTION PATH / need_dir OPTION PATH: the argument names what exists.
need_file() { [[ -f "$2" ]] || usage_error "$1 $2: no such file"; }
need_dir() { [[ -d "$2" ]] || usage_error "$1 $2: no such directory"; }

# step N TITLE: begin step N of the procedure (same number, same title). The step before it,
# if any, is closed first: its time is shown and, in a real ceremony, the script waits for the
# witness's initials.
step() {
    _initial_step
    STEP=$1 STEP_TITLE=$2
    printf '\n== Step %d of %d: %s   [%s UTC]\n' "$STEP" "$STEP_TOTAL" "$STEP_TITLE" "$(date -u +%H:%M)"
}

# rehearsal_note TEXT: what a rehearsal does to stage its story; not a step of the procedure.
rehearsal_note() { printf '\n-- Rehearsal: %s\n' "$*"; }

# say TEXT: words the Ceremony Administrator reads aloud, exactly; a real ceremony waits.
say() {
    printf '\nREAD ALOUD (CA): "%s"\n' "$*"
    pause "the words have been read aloud"
}

# pause WHAT: in a real ceremony, wait for Enter ("Press Enter when WHAT"); a rehearsal goes on.
pause() {
    if [[ -n "$REHEARSAL" ]]; then
        printf '   (rehearsal: no pause) when %s\n' "$*"
    else
        local _
        printf '   Press Enter when %s. ' "$*"
        if ! read -r _; then
            echo
            echo "error: no one answered (end of input): a real ceremony runs at a terminal, with someone at the keyboard" >&2
            exit 1
        fi
        [[ -t 0 ]] || echo
    fi
}

# ceremony_complete: close the last step and say so.
ceremony_complete() {
    _initial_step
    STEP=0
    printf '\nCEREMONY COMPLETE: %s, all %d steps, %s UTC\n' "$CEREMONY" "$STEP_TOTAL" "$(date -u '+%Y-%m-%d %H:%M')"
}

_initial_step() {
    [[ $STEP -gt 0 ]] || return 0
    printf '   Step %d done at %s UTC: write the time on the sheet.\n' "$STEP" "$(date -u +%H:%M)"
    pause "the witness has initialled step $STEP"
}

_ceremony_exit() {
    local rc=$1 dir
    trap - EXIT ERR
    if [[ $rc -ne 0 && $STEP -gt 0 ]]; then
        local entry
        entry="$(date -u '+%Y-%m-%d %H:%M') UTC  $CEREMONY step $STEP ($STEP_TITLE): stopped, exit status $rc"
        printf '\nCEREMONY STOPPED at step %d: %s\n' "$STEP" "$STEP_TITLE" >&2
        printf '   Nothing after step %d was done. Do not improvise:\n' "$STEP" >&2
        printf '   1. IW writes in the exceptions log of the sheet: the time, step %d, and the message above.\n' "$STEP" >&2
        printf '   2. CA reads the message above aloud; follow "If something goes wrong" in %s.md.\n' "$CEREMONY" >&2
        printf '   3. Run the script again with the same arguments once the cause is cleared; custody\n' >&2
        printf '      resumes or starts afresh as that section says.\n' >&2
        if printf '%s\n' "$entry" >>"$EXCEPTIONS" 2>/dev/null; then
            printf '   Recorded in %s.\n' "$EXCEPTIONS" >&2
        fi
    fi
    for dir in "${UNMOUNT[@]}"; do root_unmount "$dir" || rc=1; done
    for dir in "${CLEANUP[@]}"; do rm -rf --one-file-system -- "$dir"; done
    exit "$rc"
}

# rehearsal_room DIR: tokens "home" and "embassy", officials.toml and PDIR under DIR; sets
# SOFTHSM2_CONF, HOME_URI, EMBASSY_URI, OFFICIALS and PDIR.
rehearsal_room() {
    local dir=$1 id
    bash "$REPO/hsm/install-softhsm.sh" >/dev/null
    HOME_URI=$(bash "$REPO/hsm/new-token.sh" "$dir/hsm" home 2>/dev/null)
    EMBASSY_URI=$(bash "$REPO/hsm/new-token.sh" "$dir/hsm" embassy 2>/dev/null)
    export SOFTHSM2_CONF=$dir/hsm/softhsm2.conf
    OFFICIALS=$dir/officials.toml
    cp "$CEREMONIES/officials.example.toml" "$OFFICIALS"
    PDIR=$dir/pdir
    mkdir -m 700 "$PDIR"
    for id in $(sed -n 's/^id = "\(.*\)"/\1/p' "$OFFICIALS"); do
        # Six random groups of hex: what a rehearsal needs, never shown.
        od -An -N18 -tx1 /dev/urandom | tr -d ' \n' | fold -w6 | paste -sd' ' >"$PDIR/$id.pass"
    done
    chmod 600 "$PDIR"/*.pass
    echo "rehearsal room in $dir: tokens home and embassy, $(ls "$PDIR" | wc -l) officials (passphrases in files, never shown)"
}

# drill_after ARGS...: the drill that ends a ceremony which made new shares (rotation, reshare),
# given that ceremony's arguments: every share file now in the domain's shares/ is offered (the
# key is rebuilt as soon as enough pass), with the ceremony's --passphrases when it had one.
drill_after() {
    local manifest="" pdir="" args=("$@") i
    for ((i = 0; i < ${#args[@]}; i++)); do
        case ${args[i]} in
            --manifest) manifest=${args[i + 1]} ;;
            --passphrases) pdir=${args[i + 1]} ;;
        esac
    done
    local drill=(drill --manifest "$manifest")
    [[ -n "$pdir" ]] && drill+=(--passphrases "$pdir")
    "$(custody_binary)" "${drill[@]}" "$(dirname -- "$manifest")"/shares/*.share
}

# --- Arguments, checked before step 1 ----------------------------------------------------------
#
# check_args "VALUE OPTIONS" "FLAG OPTIONS" ARGS...: every option is one the ceremony's command
# takes, and every value option has its value; the rest goes to POSITIONAL.
check_args() {
    local values=" $1 " flags=" $2 " a
    shift 2
    POSITIONAL=()
    while [[ $# -gt 0 ]]; do
        a=$1
        shift
        case $a in
            --*=*) usage_error "write $a as ${a%%=*} ${a#*=}" ;;
            --*)
                if [[ $values == *" $a "* ]]; then
                    [[ $# -gt 0 && $1 != --* ]] || usage_error "$a needs a value"
                    shift
                elif [[ $flags != *" $a "* ]]; then
                    usage_error "unknown option $a"
                fi
                ;;
            *) POSITIONAL+=("$a") ;;
        esac
    done
}

# opt_all OPTION ARGS...: every value given to OPTION, one a line; opt_last: the last one.
opt_all() {
    local want=$1
    shift
    while [[ $# -gt 0 ]]; do
        if [[ $1 == "$want" && $# -gt 1 ]]; then
            printf '%s\n' "$2"
            shift
        fi
        shift
    done
}
opt_last() { opt_all "$@" | tail -n 1; }

# need_threshold T: a whole number from 1 to 255.
need_threshold() {
    [[ -n "$1" ]] || usage_error "--threshold T is required"
    [[ $1 =~ ^[0-9]+$ && $1 -ge 1 && $1 -le 255 ]] || usage_error "--threshold $1: a whole number from 1 to 255"
}

# need_shares MIN FILES...: at least MIN share files are named, and each exists.
need_shares() {
    local min=$1 f
    shift
    [[ $# -ge $min ]] || usage_error "name at least $min share file(s) after the options"
    for f in "$@"; do need_file "share file" "$f"; done
}

# --- Removable media ----------------------------------------------------------------------------
#
# verify_copies MANIFEST [PDIR]: each copy of a share file on removable media is checked with
# `custody share verify` (its official types the passphrase). A rehearsal copies every share in
# the domain's shares/ to two throwaway "media" and checks each copy with PDIR's passphrases; a
# real ceremony asks for the path of each copy in turn, an empty line when all are checked (the
# official types the passphrase; with --passphrases PDIR, PDIR/<id>.pass for a copy named
# <id>.share). A copy that fails is named and goes to the exceptions log; the loop goes on.
verify_copies() {
    local manifest=$1 pdir=${2:-} dir share id copy medium
    dir=$(dirname -- "$manifest")
    if [[ -n "$REHEARSAL" ]]; then
        for medium in media-A media-B; do
            mkdir -p "$(dirname -- "$dir")/$medium"
            for share in "$dir"/shares/*.share; do
                id=$(basename -- "$share" .share)
                copy=$(dirname -- "$dir")/$medium/$(basename -- "$share")
                cp -- "$share" "$copy"
                cmp -s -- "$share" "$copy"
                "$custody" share verify --manifest "$manifest" --passphrase-file "$pdir/$id.pass" "$copy"
            done
        done
        return 0
    fi
    while true; do
        printf '   Path of the next copy on removable media (empty line when every copy is checked): '
        read -r copy
        [[ -t 0 ]] || echo
        [[ -n "$copy" ]] || break
        local verify=(share verify --manifest "$manifest")
        id=$(basename -- "$copy" .share)
        [[ -n "$pdir" && -f "$pdir/$id.pass" ]] && verify+=(--passphrase-file "$pdir/$id.pass")
        if "$custody" "${verify[@]}" "$copy"; then
            echo "   copy checked: $copy — seal the medium in its bag; IW records the bag number"
        else
            echo "   THIS COPY FAILED: do not seal it. IW records it in the exceptions log; copy again." >&2
            printf '%s UTC  %s step %d: the copy %s failed custody share verify; not sealed\n' \
                "$(date -u '+%Y-%m-%d %H:%M')" "$CEREMONY" "$STEP" "$copy" >>"$EXCEPTIONS" || true
        fi
    done
}
