#!/usr/bin/env bash
# The whole test suite, as the README's quick start and .ci/run run it: makes sure the build tools,
# SoftHSM and OpenSC are installed (scripts/install-deps.sh; the tests use real tokens) and the Python second implementation of the
# domain signature (tests/crosscheck/install.sh) and Garage, whose three-node cluster the
# object-store tests run on (tests/garage/install.sh), then runs every test. Extra arguments go to
# `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash tests/crosscheck/install.sh
bash tests/garage/install.sh
cargo test --locked "$@"
