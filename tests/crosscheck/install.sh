#!/usr/bin/env bash
# Installs the second implementation that tests/signature_crosscheck.rs runs: a Python virtual
# environment with pyca/cryptography (OpenSSL's ML-DSA-65 and Ed25519) and dilithium-py (a
# pure-Python FIPS 204), from PyPI. Idempotent: does nothing when the environment already works.
# The environment lives at $CUSTODY_CROSSCHECK_VENV, by default under the cargo home.
set -euo pipefail
venv="${CUSTODY_CROSSCHECK_VENV:-${CARGO_HOME:-$HOME/.cargo}/custody-crosscheck}"
probe='from cryptography.hazmat.primitives.asymmetric import mldsa
mldsa.MLDSA65PrivateKey.from_seed_bytes(bytes(32))
import dilithium_py.ml_dsa'
if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c "$probe" 2>/dev/null; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet 'cryptography==50.0.2' 'dilithium-py==1.5.1'
"$venv/bin/python3" -c "$probe"
