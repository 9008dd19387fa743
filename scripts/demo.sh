#!/usr/bin/env bash
# The README's first quick-start command: on a throwaway SoftHSM token (installing SoftHSM when
# missing), build custody and probe the token the way a security officer checks a real HSM before
# a ceremony. Everything it creates lives in a temporary directory removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

say "Checking for SoftHSM (a software HSM for trying custody out)"
bash hsm/install-softhsm.sh >/dev/null

say "Building custody"
cargo build --release --locked --quiet
custody=$PWD/target/release/custody

work=$(mktemp -d -t custody-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

say "Creating a throwaway token \"demo-home\" (PIN kept in a file, never on screen)"
uri=$(bash hsm/new-token.sh "$work" demo-home 2>/dev/null)
export SOFTHSM2_CONF=$work/softhsm2.conf
echo "token URI: $uri"

say "custody hsm probe: can this token hold a custody domain key?"
"$custody" hsm probe "$uri"

say "The same check with a wrong PIN must fail, and say why"
printf 'wrong-pin' >"$work/wrong.pin"
if "$custody" hsm probe "${uri%%&pin-source=*}&pin-source=file:$work/wrong.pin" >/dev/null; then
    echo "unexpected: a wrong PIN was accepted" >&2
    exit 1
fi

say "Done: the token is ready, and a wrong PIN is refused."
