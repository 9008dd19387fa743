# shellcheck shell=bash
# ceremonies/lib.sh — shared by the ceremony scripts. Sourced, never run.
#
# Owns: finding (building) the custody binary, the numbered-step style of the scripts, and the
# rehearsal room: throwaway SoftHSM tokens, the example officials and random passphrases in a
# temporary directory. Must never print a passphrase or a PIN.

CEREMONIES=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname -- "$CEREMONIES")

# The custody binary, built from this checkout when needed.
custody_binary() {
    (cd "$REPO" && cargo build --locked --quiet) >&2
    printf '%s\n' "${CARGO_TARGET_DIR:-$REPO/target}/debug/custody"
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
