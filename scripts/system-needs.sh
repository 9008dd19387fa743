#!/usr/bin/env bash
# scripts/system-needs.sh BINARY — checks that BINARY needs no more from the system than the
# recovery kit's page says (ceremonies/recover.md, RECOVER.md in every kit; D68): dynamic
# libraries among libc, libm, libgcc_s and the dynamic loader, and no glibc symbol version newer
# than 2.34. scripts/release.sh runs it on every release binary; tests/cli_kit.rs checks the test
# build the same way. Needs objdump (binutils). Exit status 1, naming what is needed, otherwise.
set -euo pipefail
binary=${1:?usage: scripts/system-needs.sh BINARY}
allowed=" libc.so.6 libm.so.6 libgcc_s.so.1 ld-linux-x86-64.so.2 "
glibc=2.34
status=0
while read -r needed; do
    [[ $allowed == *" $needed "* ]] || {
        echo "system-needs: $binary needs $needed, which ceremonies/recover.md does not name" >&2
        status=1
    }
done < <(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }')
newest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
if [[ $(printf '%s\n%s\n' "$newest" "$glibc" | sort -V | tail -1) != "$glibc" ]]; then
    echo "system-needs: $binary needs glibc $newest, newer than the glibc $glibc ceremonies/recover.md states" >&2
    status=1
fi
[[ $status -ne 0 ]] || echo "system-needs: $binary needs only libc, libm, libgcc_s and the loader, glibc $newest (<= $glibc)"
exit "$status"
