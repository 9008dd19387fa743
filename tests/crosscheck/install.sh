#!/usr/bin/env bash
# Installs the second implementation that tests/signature_crosscheck.rs (signature.py) and
# tests/lifecycle_chain.rs (chain.py, which imports signature.py) run: a Python virtual
# environment with pyca/cryptography (OpenSSL's ML-DSA-65 and Ed25519) and dilithium-py (a
# pure-Python FIPS 204), from PyPI. Idempotent: does nothing when the environment already works.
# The environment lives at $CUSTODY_CROSSCHECK_VENV, by default under the cargo home. Installs
# Debian's python3-venv first when it is missing (as root, like hsm/install-softhsm.sh).
set -euo pipefail
venv="${CUSTODY_CROSSCHECK_VENV:-${CARGO_HOME:-$HOME/.cargo}/custody-crosscheck}"
probe='from cryptography.hazmat.primitives.asymmetric import mldsa
mldsa.MLDSA65PrivateKey.from_seed_bytes(bytes(32))
import dilithium_py.ml_dsa'
if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c "$probe" 2>/dev/null; then
    exit 0
fi
# Debian splits venv (and ensurepip) out of python3: install it when missing, as root.
if ! python3 -c 'import ensurepip' 2>/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "error: python3 with venv is missing; install it: sudo apt-get install -y python3-venv" >&2
        exit 1
    fi
    echo "installing python3-venv (the signature cross-check runs in a virtual environment)" >&2
    apt-get update -qq
    apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet 'cryptography==50.0.2' 'dilithium-py==1.5.1'
"$venv/bin/python3" -c "$probe"
