#!/usr/bin/env bash
# hsm/install-softhsm.sh — make sure SoftHSM v2 and OpenSC (pkcs11-tool) are installed.
#
# Idempotent: when everything is present it only reports. Installs with apt-get (as root) when
# something is missing; runs `apt-get update` only then. Not root, or no apt-get: says exactly
# what to run and exits 1. Facts go to stderr, one line each; stdout is only the module path,
# so `MODULE=$(hsm/install-softhsm.sh)` works.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$HERE/lib.sh"

report() {
    local tool
    for tool in softhsm2-util pkcs11-tool; do
        if command -v "$tool" >/dev/null 2>&1; then
            hsm_info "$tool: $(command -v "$tool")"
        else
            hsm_info "$tool: missing"
        fi
    done
    local module
    if module=$(hsm_find_softhsm_module); then
        hsm_info "SoftHSM module: $module"
    elif [[ -n "${SOFTHSM2_MODULE:-}" ]]; then
        hsm_info "SoftHSM module: missing (SOFTHSM2_MODULE=$SOFTHSM2_MODULE is not an absolute path to a file)"
    else
        hsm_info "SoftHSM module: missing (libsofthsm2.so not in the usual places)"
    fi
}

report
if [[ -n "${SOFTHSM2_MODULE:-}" ]] && ! hsm_find_softhsm_module >/dev/null; then
    hsm_die "SOFTHSM2_MODULE must be the absolute path of libsofthsm2.so; unset it to search the usual places"
fi
if hsm_tools_present; then
    hsm_info "SoftHSM and OpenSC are installed; nothing to do"
    hsm_find_softhsm_module
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    hsm_info "no apt-get here: install SoftHSM v2 and OpenSC with your package manager, e.g."
    hsm_info "  Fedora/RHEL: dnf install softhsm opensc    Alpine: apk add softhsm opensc"
    hsm_info "  Arch: pacman -S softhsm opensc    macOS: brew install softhsm opensc"
    hsm_die "SoftHSM/OpenSC missing; install them, or set SOFTHSM2_MODULE to libsofthsm2.so, then re-run"
fi

if [[ "$(id -u)" -ne 0 ]]; then
    hsm_info "installing needs root; run:"
    hsm_info "  sudo apt-get update && sudo apt-get install -y softhsm2 opensc"
    hsm_die "SoftHSM/OpenSC missing and not root; run the command above, then re-run this script"
fi

hsm_info "installing softhsm2 and opensc with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends softhsm2 opensc >&2

report
hsm_tools_present ||
    hsm_die "apt-get finished but SoftHSM/OpenSC are still missing (see above); set SOFTHSM2_MODULE if libsofthsm2.so is elsewhere"
hsm_info "SoftHSM and OpenSC installed"
hsm_find_softhsm_module
