# shellcheck shell=bash
# scripts/debian-root.sh — sourced, never run: a minimal Debian root for trying custody on a
# machine with nothing added (scripts/fresh-machine.sh, ceremonies/recovery-from-cold.sh).
#
#   debian_root ROOT   bootstraps ROOT (debootstrap --variant=minbase, from this machine's
#                      configured Debian mirror and suite); installs debootstrap when missing.
#                      CUSTODY_DEBIAN_ROOT=DIR copies DIR (an earlier bootstrap) instead, to save
#                      the download when iterating by hand.
#   root_mount ROOT    mounts proc on ROOT/proc and binds /dev and /dev/pts, as a booted
#                      machine has them; root_unmount ROOT undoes every mount under ROOT.
# Needs root.

debian_root() {
    local root=$1 sources mirror suite start
    [[ $(id -u) -eq 0 ]] || { echo "debian_root: needs root (debootstrap, chroot, mounts)" >&2; return 1; }
    if [[ -n ${CUSTODY_DEBIAN_ROOT:-} ]]; then
        echo "== copying the Debian root $CUSTODY_DEBIAN_ROOT (CUSTODY_DEBIAN_ROOT)" >&2
        cp -a "$CUSTODY_DEBIAN_ROOT/." "$root/"
        return
    fi
    command -v debootstrap >/dev/null || {
        echo "debian_root: installing debootstrap" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    # This machine's Debian mirror and suite, from its apt sources (deb822 or one-line format).
    sources=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)
    mirror=$(printf '%s\n' "$sources" | sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\{0,1\}$/\1/p; s/^deb \(http[^ ]*\/debian\)\/\{0,1\} .*/\1/p' | head -n1)
    suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
    [[ -n $mirror ]] || { echo "debian_root: no Debian mirror found in /etc/apt/sources*" >&2; return 1; }
    echo "== debootstrap --variant=minbase $suite from $mirror" >&2
    start=$SECONDS
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
        tail -20 "$root.debootstrap.log" >&2
        rm -f "$root.debootstrap.log"
        return 1
    }
    rm -f "$root.debootstrap.log"
    echo "   $((SECONDS - start)) s" >&2
}

root_mount() {
    local root=$1
    mkdir -p "$root/proc" "$root/dev"
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    mkdir -p "$root/dev/pts"
    mount -t devpts devpts "$root/dev/pts"
}

# root_unmount ROOT: every mount under ROOT, deepest first; fails if one remains.
root_unmount() {
    local root=$1 target
    while read -r target; do
        umount -l "$target" 2>/dev/null || true
    done < <(awk -v root="$root" '$2 == root || index($2, root "/") == 1 {print $2}' /proc/mounts | sort -r)
    if awk -v root="$root" '$2 == root || index($2, root "/") == 1 {found = 1} END {exit !found}' /proc/mounts; then
        echo "root_unmount: still mounted under $root:" >&2
        grep " $root" /proc/mounts >&2
        return 1
    fi
}
