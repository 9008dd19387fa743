"""Render the ceremony procedures, sheets and guides (ceremonies/*.md) to printable PDF.

Called by scripts/sheets.sh, which provides a Python with `markdown` and `weasyprint`
(docs/DECISIONS.md D66). One Markdown source per document: what is read on screen is what is
printed. A heading with `{: .sheet }` starts a new page: the sheet to fill in by hand.
"""

import pathlib
import re
import sys

import markdown
import weasyprint

CSS = """
@page {
  size: A4;
  margin: 16mm 15mm 18mm 15mm;
  @bottom-left { content: string(doctitle); font: 8pt "DejaVu Sans"; color: #555; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt "DejaVu Sans"; color: #555; }
}
html { font: 9.5pt/1.35 "DejaVu Sans", sans-serif; color: #000; }
h1 { string-set: doctitle content(); font-size: 15pt; margin: 0 0 6pt; border-bottom: 1.5pt solid #000; }
h2 { font-size: 12pt; margin: 12pt 0 4pt; }
h3 { font-size: 10pt; margin: 9pt 0 3pt; page-break-after: avoid; }
.sheet { page-break-before: always; }
p, li { margin: 2pt 0; }
ul, ol { padding-left: 14pt; margin: 2pt 0; }
code { font: 8.5pt "DejaVu Sans Mono", monospace; background: #f0f0f0; padding: 0 1pt; }
pre { font: 8pt "DejaVu Sans Mono", monospace; background: #f0f0f0; padding: 4pt; white-space: pre-wrap; }
blockquote { margin: 4pt 0; padding: 4pt 8pt; border-left: 3pt solid #000; background: #f6f6f6; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 6pt; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 0.6pt solid #000; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #e4e4e4; font-size: 8.5pt; min-width: 13mm; }
td { height: 15pt; }
a { color: #000; text-decoration: none; }
"""


def render(source: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    text = source.read_text(encoding="utf-8")
    body = markdown.markdown(text, extensions=["tables", "attr_list", "sane_lists"])
    title = source.stem
    page = f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"
    target = out_dir / f"{source.stem}.pdf"
    weasyprint.HTML(string=page, base_url=str(source.parent)).write_pdf(
        target, stylesheets=[weasyprint.CSS(string=CSS)]
    )
    return target


def words_read_aloud(script: pathlib.Path, procedure: pathlib.Path) -> list[str]:
    """Differences between what the script says (`say "…"`) and what the procedure's CA reads
    aloud (`reads aloud: *"…"*`), in order; ⟨placeholders⟩ stand for the script's $(…)."""
    placeholder = lambda t: re.sub(r"\$\([^)]*\)\)?|\$\w+|⟨[^⟩]*⟩", "…", t)
    said = [placeholder(t) for t in re.findall(r'^say "(.*)"$', script.read_text(), re.M)]
    read = [
        placeholder(re.sub(r"\s+", " ", t))
        for t in re.findall(r'reads aloud: \*"(.*?)"\*', procedure.read_text(), re.S)
    ]
    if said == read:
        return []
    return [f"{script.name}: {a!r}\n{procedure.name}: {b!r}" for a, b in zip(said, read) if a != b] or [
        f"{script.name} says {len(said)} things aloud, {procedure.name} {len(read)}"
    ]


def main(argv: list[str]) -> int:
    if argv[1] == "--words":
        problems = words_read_aloud(pathlib.Path(argv[2]), pathlib.Path(argv[3]))
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    out_dir = pathlib.Path(argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in argv[2:]:
        print(render(pathlib.Path(name), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
