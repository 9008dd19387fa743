#!/usr/bin/env bash
# tests/garage/install.sh — makes sure Garage (the S3-compatible object store the object-store
# tests run a three-node cluster of, tests/garage/cluster.sh) is installed: found on PATH or in
# the cargo home, else built once with `cargo install garage --locked` (about 9 minutes on two
# cores; CI keeps the cargo home, so later runs find it there).
set -euo pipefail
version=2.5.0
bin=${CARGO_HOME:-$HOME/.cargo}/bin/garage
for candidate in "$(type -P garage || true)" "$bin"; do
    if [[ -n $candidate && -x $candidate ]] && "$candidate" --version 2>/dev/null | grep -q "$version"; then
        exit 0
    fi
done
echo "== installing garage $version (cargo install garage --locked; once, kept in the cargo home)"
cargo install --locked "garage@$version"
