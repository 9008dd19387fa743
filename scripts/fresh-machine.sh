#!/usr/bin/env bash
# scripts/fresh-machine.sh [--quick] — the README's two quick-start commands on a fresh machine:
# bootstraps a minimal Debian root (debootstrap --variant=minbase, from this machine's configured
# Debian mirror and suite), binds in this machine's Rust toolchain (read-only) and a clone of this
# repository's HEAD, and runs `bash scripts/demo.sh` then `bash scripts/test.sh` inside it, as
# root, timing each. Nothing is installed in the root by hand: what the commands need they
# install themselves (scripts/install-deps.sh). `--quick` limits the test command to a fast subset
# (the golden tests, an archive round trip and the ten simulated years). Every mount is undone and
# the root removed at the end, whatever happens. Needs root and debootstrap (installed when
# missing). Measured results: docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

quick=""
case ${1:-} in
    "") ;;
    --quick) quick=yes ;;
    *) echo "usage: scripts/fresh-machine.sh [--quick]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine.sh: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
. scripts/debian-root.sh
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_home=${CARGO_HOME:-$HOME/.cargo}

root=$(mktemp -d -t custody-fresh-root.XXXXXX)
cleanup() {
    if ! root_unmount "$root"; then
        echo "fresh-machine.sh: error: not removing $root" >&2
        exit 1
    fi
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
bind() { # bind SOURCE TARGET [ro]
    mkdir -p "$2"
    mount --bind "$1" "$2"
    if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

debian_root "$root"
# This machine's network policy goes in with its mirror: name resolution, the local certificate
# authorities (an egress proxy's, picked up when ca-certificates installs) and pip's configuration.
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
if [ -d /usr/local/share/ca-certificates ]; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
[ ! -f /etc/pip.conf ] || cp /etc/pip.conf "$root/etc/pip.conf"

# The base system's pseudo file systems, the Rust toolchain (read-only) and its crate cache, and a
# clone of HEAD (the clone is the root's own: nothing it writes reaches this checkout).
root_mount "$root"
bind /sys "$root/sys" ro
bind "$rustup_home" "$root/root/.rustup" ro
bind "$cargo_home/bin" "$root/root/.cargo/bin" ro
bind "$cargo_home/registry" "$root/root/.cargo/registry"
git clone -q "$repo" "$root/root/custody"

in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        RUSTUP_HOME=/root/.rustup CARGO_HOME=/root/.cargo \
        bash -c "cd /root/custody && $1"
}

echo "== in the fresh root: bash scripts/demo.sh" >&2
start=$SECONDS
in_root "bash scripts/demo.sh" >"$root/demo.log" 2>&1 || { tail -30 "$root/demo.log" >&2; exit 1; }
demo=$((SECONDS - start))
tail -3 "$root/demo.log"
echo "   demo: $demo s" >&2

tests="bash scripts/test.sh"
[ -z "$quick" ] || tests="bash scripts/test.sh --test cli_golden --test archive_roundtrip --test decade"
echo "== in the fresh root: $tests" >&2
start=$SECONDS
in_root "$tests" >"$root/test.log" 2>&1 || { grep -E '^test result|FAILED|panicked|error' "$root/test.log" | tail -30 >&2; exit 1; }
test_time=$((SECONDS - start))
grep '^test result' "$root/test.log" | awk '{p += $4; f += $6; n++} END {printf "   %d test binaries, %d passed, %d failed\n", n, p, f}' >&2
echo "   tests: $test_time s" >&2
suite=$(. "$root/etc/os-release" && echo "$VERSION_CODENAME")
echo "fresh-machine.sh: both quick-start commands passed on a fresh $suite root (demo $demo s, tests $test_time s)"
