#!/usr/bin/env bash
# scripts/sheets.sh — print the ceremonies: every ceremonies/*.md (procedures with their sheets,
# the officials' guide, the removable-media procedure) to PDF, then check what was made.
#
#   bash scripts/sheets.sh [OUT_DIR]     default OUT_DIR: target/sheets (not committed)
#
# Needs python3 (with venv) and poppler-utils (pdfinfo, pdftotext); .ci/run installs them when
# missing. markdown and weasyprint (PyPI, pinned below) go into a virtual environment in
# ${CUSTODY_SHEETS_VENV:-~/.cache/custody-sheets-venv}, made on first use (D66).
#
# The checks, each a failure of the run:
#   - each ceremony script prints the same step numbers and titles as its procedure and its
#     sheet ("### Step N — TITLE" in NAME.md, `step N "TITLE"` in NAME.sh, "| N | TITLE | | | |"
#     in the sheet's step rows), and the same words to read aloud (`say "…"` in NAME.sh,
#     `reads aloud: *"…"*` in NAME.md);
#   - every PDF opens (pdfinfo), its text (pdftotext) has every heading of its Markdown source;
#   - the officials' guide and the recovery kit's page (recover.md, RECOVER.md in a kit) are one
#     page each.
set -euo pipefail
REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
OUT=${1:-$REPO/target/sheets}
VENV=${CUSTODY_SHEETS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/custody-sheets-venv}
PINS=(markdown==3.11.3 weasyprint==70.0)

for tool in pdfinfo pdftotext; do
    command -v "$tool" >/dev/null || { echo "sheets.sh: $tool is missing (apt-get install poppler-utils)" >&2; exit 1; }
done
if ! "$VENV/bin/python" -c 'import markdown, weasyprint' 2>/dev/null; then
    echo "sheets.sh: installing ${PINS[*]} into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
fi

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Scripts and procedures: the same steps.
for sh in "$REPO"/ceremonies/*.sh; do
    name=$(basename -- "$sh" .sh)
    [[ $name == lib ]] && continue
    md=$REPO/ceremonies/$name.md
    from_md=$(sed -n 's/^### Step \([0-9]*\) — \(.*\)$/\1 \2/p' "$md")
    from_sh=$(sed -n 's/^step \([0-9]*\) "\(.*\)"$/\1 \2/p' "$sh")
    from_sheet=$(sed -n 's/^| \([0-9]*\) | \([^|]*\) | | | |$/\1 \2/p' "$md")
    if [[ -z "$from_md" || "$from_md" != "$from_sh" ]]; then
        fail "$name: the steps of $name.sh and $name.md differ:"
        diff <(echo "$from_md") <(echo "$from_sh") >&2 || true
    elif [[ "$from_md" != "$from_sheet" ]]; then
        fail "$name: the step rows of the sheet in $name.md differ from its steps:"
        diff <(echo "$from_md") <(echo "$from_sheet") >&2 || true
    elif ! "$VENV/bin/python" "$REPO/scripts/sheets.py" --words "$sh" "$md"; then
        fail "$name: the words $name.sh prints to read aloud differ from those in $name.md"
    else
        echo "ok: $name.sh, $name.md and its sheet have the same $(wc -l <<<"$from_md") steps and words to read aloud"
    fi
done

sources=()
for md in "$REPO"/ceremonies/*.md; do
    [[ $(basename -- "$md") == README.md ]] || sources+=("$md")
done
"$VENV/bin/python" "$REPO/scripts/sheets.py" "$OUT" "${sources[@]}" >/dev/null 2> >(grep -v '^WARNING' >&2 || true)

norm() { tr -s ' \n\t' '   ' | sed 's/[`*]//g'; }
for md in "${sources[@]}"; do
    name=$(basename -- "$md" .md)
    pdf=$OUT/$name.pdf
    pages=$(pdfinfo "$pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
    if [[ -z "$pages" ]]; then
        fail "$pdf does not open"
        continue
    fi
    text=$(pdftotext -layout "$pdf" - | norm)
    missing=0
    while IFS= read -r heading; do
        h=$(printf '%s' "$heading" | sed 's/ *{:.*}$//; s/\[\([^]]*\)\]([^)]*)/\1/g' | norm)
        if [[ $text != *"$h"* ]]; then
            fail "$name.pdf lacks the heading \"$h\""
            missing=1
        fi
    done < <(sed -n 's/^#\{1,3\} //p' "$md")
    if [[ ($name == officials-guide || $name == recover) && $pages -ne 1 ]]; then
        fail "$name.pdf has $pages pages; it must fit on one page"
    fi
    [[ $missing -eq 0 ]] && echo "ok: $pdf ($pages page$([[ $pages -eq 1 ]] || echo s), every heading present)"
done

[[ $failures -eq 0 ]] || { echo "sheets.sh: $failures check(s) failed" >&2; exit 1; }
echo "sheets.sh: ${#sources[@]} documents printed to $OUT and checked"
