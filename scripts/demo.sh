#!/usr/bin/env bash
# The README's first quick-start command: installs what the build needs when missing (compilers,
# SoftHSM…: scripts/install-deps.sh), builds custody, and runs
# `custody demo` — the whole data-embassy story on throwaway SoftHSM tokens, narrated.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
binary=${CARGO_TARGET_DIR:-target}/debug/custody
if [ -x "$binary" ]; then
    echo "building custody (only what changed since the last build)…" >&2
else
    echo "building custody (the first build takes about 4 minutes on 2 cores)…" >&2
fi
start=$SECONDS
cargo build --locked --quiet
echo "built in $((SECONDS - start)) s" >&2
exec "$binary" demo
