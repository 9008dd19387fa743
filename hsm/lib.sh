# shellcheck shell=bash
# hsm/lib.sh — helpers shared by install-softhsm.sh and new-token.sh. Sourced, never run.
#
# Owns: finding the SoftHSM PKCS#11 module and the SoftHSM/OpenSC tools, and the
# one-line message style of the hsm/ scripts. Must never print or log a PIN.

# Messages go to stderr so that a script's stdout carries only its result.
hsm_info() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
hsm_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Where distributions put libsofthsm2.so, most usual first. /usr/lib/softhsm/ comes first
# because it is the first path custody tries (src/hsm/module.rs, SOFTHSM_PATHS) and the one the
# examples in README.md and ceremonies/ show in URIs.
hsm_softhsm_module_candidates() {
    local c
    for c in \
        /usr/lib/softhsm/libsofthsm2.so \
        /usr/lib/*-linux-gnu*/softhsm/libsofthsm2.so \
        /usr/lib64/pkcs11/libsofthsm2.so \
        /usr/lib64/softhsm/libsofthsm2.so \
        /usr/lib/pkcs11/libsofthsm2.so \
        /usr/local/lib/softhsm/libsofthsm2.so \
        /opt/homebrew/lib/softhsm/libsofthsm2.so \
        /usr/local/opt/softhsm/lib/softhsm/libsofthsm2.so; do
        printf '%s\n' "$c"
    done
}

# Prints the absolute path of the SoftHSM module, or returns 1.
# SOFTHSM2_MODULE overrides the search (e.g. a SoftHSM built from source).
hsm_find_softhsm_module() {
    local c
    if [[ -n "${SOFTHSM2_MODULE:-}" ]]; then
        [[ "$SOFTHSM2_MODULE" == /* && -f "$SOFTHSM2_MODULE" ]] || return 1
        printf '%s\n' "$SOFTHSM2_MODULE"
        return 0
    fi
    while IFS= read -r c; do
        if [[ -f "$c" ]]; then
            printf '%s\n' "$c"
            return 0
        fi
    done < <(hsm_softhsm_module_candidates)
    return 1
}

# Returns 0 when softhsm2-util, pkcs11-tool and the module are all present.
hsm_tools_present() {
    command -v softhsm2-util >/dev/null 2>&1 &&
        command -v pkcs11-tool >/dev/null 2>&1 &&
        hsm_find_softhsm_module >/dev/null
}
