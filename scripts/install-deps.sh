#!/usr/bin/env bash
# scripts/install-deps.sh — make sure this machine has what custody's build, tests, ceremony
# scripts and fuzzing need besides Rust itself: C and C++ compilers and libc headers (build
# scripts and libfuzzer-sys compile C and C++), make, pkg-config, git (the release build reads
# its commit), Python with venv and CA certificates (the signature cross-check installs from
# PyPI), util-linux (setsid: the terminal tests), poppler-utils and zbar-tools (pdftoppm,
# pdftotext and zbarimg: the share sheet tests read the PDF with them), then SoftHSM and OpenSC
# (hsm/install-softhsm.sh).
#
# Idempotent: when everything is present it installs nothing and says so. Installs with apt-get
# (as root) only what is missing, running `apt-get update` only then. Not root, or no apt-get:
# says exactly what to install and exits 1. The README's two quick-start commands and .ci/run
# call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have cc || missing+=(gcc)
have c++ || missing+=(g++)
[ -e /usr/include/stdio.h ] || missing+=(libc6-dev)
have make || missing+=(make)
have pkg-config || missing+=(pkg-config)
have git || missing+=(git)
have python3 || missing+=(python3)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
have setsid || missing+=(util-linux)
{ have pdftoppm && have pdftotext; } || missing+=(poppler-utils)
have zbarimg || missing+=(zbar-tools)

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps.sh: compilers, libc headers, make, pkg-config, git, python3-venv, CA certificates, poppler-utils, zbar-tools: present" >&2
elif ! have apt-get || [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: error: missing: ${missing[*]}" >&2
    echo "install-deps.sh: install them, e.g. sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
else
    echo "install-deps.sh: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
bash hsm/install-softhsm.sh >/dev/null
