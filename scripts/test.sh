#!/usr/bin/env bash
# The whole test suite, as the README's quick start and .ci/run run it: makes sure SoftHSM and
# OpenSC are installed (the tests use real tokens), then runs every test. Extra arguments go to
# `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash hsm/install-softhsm.sh >/dev/null
cargo test --locked "$@"
