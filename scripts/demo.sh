#!/usr/bin/env bash
# The README's first quick-start command: installs SoftHSM when missing, builds custody, and runs
# `custody demo` — the whole data-embassy story on throwaway SoftHSM tokens, narrated.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hsm/install-softhsm.sh >/dev/null
cargo build --locked --quiet
exec target/debug/custody demo
