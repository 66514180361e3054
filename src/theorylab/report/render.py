"""The report: one self-contained HTML page and a Markdown twin.

The page opens with a one-screen summary (claims passed per study, the failing claims, total
time, machine, versions, seeds), keeps a sticky table of contents with each study's pass count beside the
text, and gives each study its claims (with their sources), tables and captioned figures
(embedded as base64 PNG, so the page needs nothing else).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from pathlib import Path
from typing import Any

from theorylab.studies.base import StudyResult

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d1d1f;
line-height:1.45;background:#fff}
#toc{position:fixed;top:0;left:0;width:250px;height:100vh;overflow-y:auto;padding:1em;
border-right:1px solid #e3e3e8;background:#fafafc;font-size:.9em}
#toc ol{padding-left:1.2em;margin:.4em 0} #toc li{margin:.35em 0}
#toc a{color:#1d1d1f;text-decoration:none} #toc a:hover{text-decoration:underline}
main{margin-left:250px;padding:0 2em 3em;max-width:1150px}
h1{margin:.6em 0 .2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2.2em}
section{scroll-margin-top:.5em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em;width:100%;table-layout:auto}
th,td{border:1px solid #ddd;padding:.35em .55em;text-align:left;vertical-align:top;
overflow-wrap:break-word}
th{background:#f5f5f7} td.num{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}
.pass{color:#0a7d32;font-weight:600;white-space:nowrap}
.fail{color:#c0142b;font-weight:600;white-space:nowrap}
.meta{color:#555;font-size:.88em} figure{margin:1.2em 0} figure img{max-width:100%;height:auto}
figcaption{color:#444;font-size:.9em;margin-top:.3em}
.summary{background:#f6f7fb;padding:.7em 1em;border-radius:6px}
.top{font-size:.85em}
@media (max-width:900px){#toc{position:static;width:auto;height:auto;border:0}
main{margin-left:0}}
"""


def load_results(results_dir: str | Path) -> list[StudyResult]:
    """Every saved study result under ``results_dir`` (one folder per study), by name."""
    root = Path(results_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"results directory {root} does not exist; run a study first")
    folders = sorted(p.parent for p in root.glob("*/result.json"))
    return [StudyResult.load(f) for f in folders]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _status(ok: bool) -> str:
    return '<span class="pass">pass</span>' if ok else '<span class="fail">FAIL</span>'


def _tally(res: StudyResult) -> str:
    return f"{sum(c.passed for c in res.claims)}/{len(res.claims)}"


def _html_table(columns: list[str], rows: list[list[Any]], raw: set[int] = frozenset()) -> str:
    """A table; the cells of the columns in ``raw`` are HTML already."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for j, cell in enumerate(row):
            num = isinstance(cell, (int, float)) and not isinstance(cell, bool)
            text = cell if j in raw else html.escape(_fmt(cell))
            cells.append(f"<td{' class=num' if num else ''}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _summary_html(results: list[StudyResult], stamp: str) -> str:
    rows = [
        [
            f'<a href="#{html.escape(r.name)}">{html.escape(r.name)}</a>',
            _status(r.passed) + f" {_tally(r)}",
            r.preset or "?",
            r.seed,
            round(r.seconds, 1),
        ]
        for r in results
    ]
    total = sum(r.seconds for r in results if r.seconds == r.seconds)
    n_claims = sum(len(r.claims) for r in results)
    n_pass = sum(c.passed for r in results for c in r.claims)
    versions = results[0].versions if results else {}
    machine = html.escape(str(versions.get("machine", "unknown machine")))
    libs = ", ".join(
        f"{html.escape(k)} {html.escape(str(v))}" for k, v in versions.items() if k != "machine"
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<p class="summary"><span id="tally">{n_pass}/{n_claims}</span> claims pass over '
        f"{len(results)} studies in {total:.1f} s of study time, on {machine}; generated "
        f"{stamp}. Versions: {libs}.</p>"
        + _html_table(["study", "claims", "preset", "seed", "seconds"], rows, raw={0, 1})
        + _failing_html(results)
        + "</section>"
    )


def _failing_html(results: list[StudyResult]) -> str:
    failing = [(r, c) for r in results for c in r.claims if not c.passed]
    if not failing:
        return "<p>Every claim passes.</p>"
    items = "".join(
        f'<li><a href="#{html.escape(r.name)}">{html.escape(r.name)}</a>: '
        f"{html.escape(c.statement)} (measured {html.escape(_fmt(c.measured))}, expected "
        f"{html.escape(c.expected)})</li>"
        for r, c in failing
    )
    return f'<p class="fail">Failing claims:</p><ul id="failing">{items}</ul>'


def _study_html(res: StudyResult) -> str:
    name = html.escape(res.name)
    parts = [
        f'<section id="{name}"><h2>{html.escape(res.title)}</h2>',
        f'<p class="meta">study <code>{name}</code> · {_tally(res)} claims pass'
        f" · preset {html.escape(res.preset or '?')} · seed {res.seed} · {res.seconds:.1f} s"
        f" · source: {html.escape(res.citation)}</p>",
    ]
    if res.summary:
        parts.append(f'<p class="summary">{html.escape(res.summary)}</p>')
    parts.append(
        _html_table(
            ["claim", "measured", "expected", "status", "source"],
            [[c.statement, c.measured, c.expected, _status(c.passed), c.source] for c in res.claims],
            raw={3},
        )
    )
    for t in res.tables:
        parts.append(f"<h3>{html.escape(t.title)}</h3>" + _html_table(t.columns, t.rows))
    for stem, path in res.figures.items():
        caption = res.captions.get(stem) or stem
        parts.append(
            f'<figure id="{name}-{html.escape(stem)}">{_img(path, caption)}'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    parts.append('<p class="top"><a href="#top">back to top</a></p></section>')
    return "\n".join(parts)


def _toc_html(results: list[StudyResult]) -> str:
    items = "".join(
        f'<li><a href="#{html.escape(r.name)}">{html.escape(r.name)}</a> '
        f"{_status(r.passed)} {_tally(r)}</li>"
        for r in results
    )
    return (
        '<nav id="toc"><strong>theorylab report</strong><ol>'
        '<li><a href="#summary">Summary</a></li>'
        f"{items}</ol></nav>"
    )


def _markdown(results: list[StudyResult], stamp: str) -> str:
    n_claims = sum(len(r.claims) for r in results)
    n_pass = sum(c.passed for r in results for c in r.claims)
    lines = [
        "# theorylab report",
        "",
        f"Generated {stamp}. {n_pass}/{n_claims} claims pass over {len(results)} studies.",
        "",
        "| study | claim | measured | expected | status | source |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for res in results:
        for c in res.claims:
            cells = [res.name, c.statement, _fmt(c.measured), c.expected]
            cells = [str(x).replace("|", "\\|") for x in cells]
            status = "pass" if c.passed else "**FAIL**"
            lines.append(f"| {' | '.join(cells)} | {status} | {c.source.replace('|', '/')} |")
    for res in results:
        lines += ["", f"## {res.title}", "", f"Source: {res.citation}", ""]
        if res.summary:
            lines += [res.summary, ""]
        for t in res.tables:
            lines += [
                f"**{t.title}**",
                "",
                "| " + " | ".join(map(str, t.columns)) + " |",
                "|" + " --- |" * len(t.columns),
            ]
            lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in t.rows]
            lines.append("")
        for stem, path in res.figures.items():
            caption = res.captions.get(stem) or stem
            lines += [f"![{caption}](../results/{res.name}/{Path(path).name})", "", f"*{caption}*"]
    return "\n".join(lines) + "\n"


def write_report(results_dir: str | Path = "results", out_dir: str | Path = "report") -> Path:
    """Render every saved result under ``results_dir`` to ``out_dir/index.html`` (figures
    embedded, so the page is self-contained) and ``out_dir/README.md``; return the HTML path
    (this library's report format)."""
    results = load_results(results_dir)
    if not results:
        raise FileNotFoundError(f"no study results under {results_dir}; run a study first")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>theorylab report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body id="top">{_toc_html(results)}<main><h1>theorylab report</h1>
<p class="meta">Each study re-runs the claims of a published result; every claim cites its
source in the paper or is marked as this library's measurement.</p>
{_summary_html(results, stamp)}
{"".join(_study_html(r) for r in results)}
</main></body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    (out / "README.md").write_text(_markdown(results, stamp), encoding="utf-8")
    return path
