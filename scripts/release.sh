#!/usr/bin/env bash
# The release of custody as a ceremony machine receives it (docs/RELEASE.md): builds the release
# binary reproducibly from Cargo.lock and puts into OUT_DIR (default target/release-dist) the
# binary, its shell completions (bash, zsh, fish), its man pages, BUILDINFO (what it was built
# from and with) and SHA256SUMS (sha256sum format, every other file). The same commit built with
# the same toolchain gives the same bytes, whatever the paths of the checkout, the cargo home and
# the target directory. OUT_DIR is replaced. Usage: scripts/release.sh [OUT_DIR]
set -euo pipefail
out=${1:-}
[[ -z $out || $out == /* ]] || out=$PWD/$out
cd "$(dirname "$0")/.."
repo=$(pwd -P)
out=${out:-$repo/target/release-dist}
# Each directory as cargo names it and as it resolves, links followed.
target_named=${CARGO_TARGET_DIR:-$repo/target}
[[ $target_named == /* ]] || target_named=$repo/$target_named
mkdir -p "$target_named"
target=$(cd "$target_named" && pwd -P)
cargo_home_named=${CARGO_HOME:-$HOME/.cargo}
cargo_home=$(cd "$cargo_home_named" && pwd -P)

if [ -e "$out" ] && [ ! -f "$out/SHA256SUMS" ] && [ -n "$(ls -A "$out")" ]; then
    printf 'error: %s is not empty and holds no SHA256SUMS, so it is not a release: not replacing it\nhint: give scripts/release.sh a new directory, or one it made before\n' "$out" >&2
    exit 2
fi

# No time and no path of this machine may reach the binary: the time is the last commit's (for
# any build script that stamps one), and each directory a path can come from is remapped. The
# target directory comes last, so it wins when it lies inside the checkout.
commit=$(git rev-parse HEAD)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
remap=(
    "--remap-path-prefix=$cargo_home_named=/cargo"
    "--remap-path-prefix=$cargo_home=/cargo"
    "--remap-path-prefix=$repo=/custody"
    "--remap-path-prefix=$target_named=/target"
    "--remap-path-prefix=$target=/target"
)
echo "== release build of custody at $commit (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)" >&2
CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f' && printf '%s' "${remap[*]}") \
    CARGO_PROFILE_RELEASE_DEBUG=none \
    cargo build --release --locked --bin custody

rm -rf "$out"
mkdir -p "$out"
cp "$target/release/custody" "$out/custody"
# What the recovery kit's page promises a stranger's machine needs (D68).
bash scripts/system-needs.sh "$out/custody" >&2
# The completions and man pages are text from the clap definitions: any profile writes the same,
# so the example reuses the test suite's build rather than building the dev-dependencies again.
echo "== completions and man pages (examples/gen_docs.rs, dev profile)" >&2
cargo run --locked --example gen_docs -- "$out"

tree_state=""
[ -z "$(git status --porcelain --untracked-files=no)" ] || tree_state=" (with uncommitted changes: not a release)"
{
    "$out/custody" --version
    echo "commit $commit$tree_state"
    echo "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"
    rustc --version
    cargo --version
    rustc -vV | sed -n 's/^host: /host /p'
    echo "paths remapped: source /custody, cargo home /cargo, target directory /target"
} >"$out/BUILDINFO"

find "$out" -type f ! -name custody -exec chmod 644 {} +
(
    cd "$out"
    find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum >SHA256SUMS
    chmod 644 SHA256SUMS
)
find "$out" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

digest=$(sha256sum <"$out/custody")
echo "release of $("$out/custody" --version)$tree_state in $out:"
echo "  custody, $(ls "$out/completions" | wc -l) completion scripts, $(ls "$out/man/man1" | wc -l) man pages, BUILDINFO, SHA256SUMS"
echo "  SHA-256 of custody: $(printf '%s' "${digest%% *}" | fold -w4 | paste -sd' ')"
