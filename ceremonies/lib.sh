# shellcheck shell=bash
# ceremonies/lib.sh — shared by the ceremony scripts. Sourced, never run.
#
# Owns: finding (building) the custody binary, the numbered-step style of the scripts, and the
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

STEP=0
step() {
    STEP=$((STEP + 1))
    printf '\n== Step %d: %s\n' "$STEP" "$*"
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
