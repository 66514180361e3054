"""The report: one self-contained HTML page (figures embedded as base64 PNG, a claims
table with pass/fail at the top, one section per study) and a Markdown twin."""

from __future__ import annotations

import base64
import datetime as _dt
import html
from pathlib import Path
from typing import Any

from theorylab.studies.base import StudyResult

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#1d1d1f;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em;width:100%}
th,td{border:1px solid #ddd;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f7} td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#0a7d32;font-weight:600} .fail{color:#c0142b;font-weight:600}
.meta{color:#666;font-size:.88em} figure{margin:1em 0} figure img{max-width:100%}
figcaption{color:#555;font-size:.88em}
.summary{background:#f9f9fb;padding:.6em 1em;border-radius:6px}
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


def _html_table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            cls = (
                ' class="num"'
                if isinstance(cell, (int, float)) and not isinstance(cell, bool)
                else ""
            )
            cells.append(f"<td{cls}>{html.escape(_fmt(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _claims_html(results: list[StudyResult]) -> str:
    rows = []
    for res in results:
        for c in res.claims:
            rows.append(
                "<tr>"
                f'<td><a href="#{html.escape(res.name)}">{html.escape(res.name)}</a></td>'
                f"<td>{html.escape(c.statement)}</td>"
                f'<td class="num">{html.escape(_fmt(c.measured))}</td>'
                f"<td>{html.escape(c.expected)}</td>"
                f"<td>{_status(c.passed)}</td>"
                f"<td>{html.escape(c.source)}</td>"
                "</tr>"
            )
    cols = ["study", "claim", "measured", "expected", "status", "source"]
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"
    return f'<table id="claims"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _img(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(Path(path).stem)}" src="data:image/png;base64,{data}">'


def _study_html(res: StudyResult) -> str:
    parts = [
        f'<section id="{html.escape(res.name)}"><h2>{html.escape(res.title)}</h2>',
        f'<p class="meta">study <code>{html.escape(res.name)}</code>'
        f" · preset {html.escape(res.preset or '?')}"
        f" · seed {res.seed} · {res.seconds:.1f} s · source: {html.escape(res.citation)}</p>",
    ]
    if res.summary:
        parts.append(f'<p class="summary">{html.escape(res.summary)}</p>')
    parts.append(
        _html_table(
            ["claim", "measured", "expected", "status"],
            [
                [c.statement, c.measured, c.expected, "pass" if c.passed else "FAIL"]
                for c in res.claims
            ],
        )
    )
    for t in res.tables:
        parts.append(f"<h3>{html.escape(t.title)}</h3>" + _html_table(t.columns, t.rows))
    for stem, path in res.figures.items():
        parts.append(f"<figure>{_img(path)}<figcaption>{html.escape(stem)}</figcaption></figure>")
    versions = ", ".join(f"{k} {v}" for k, v in res.versions.items())
    parts.append(f'<p class="meta">versions: {html.escape(versions)}</p></section>')
    return "\n".join(parts)


def _markdown(results: list[StudyResult], stamp: str) -> str:
    n_claims = sum(len(r.claims) for r in results)
    n_pass = sum(c.passed for r in results for c in r.claims)
    lines = [
        "# theorylab report",
        "",
        f"Generated {stamp}. {n_pass}/{n_claims} claims pass over {len(results)} studies.",
        "",
        "| study | claim | measured | expected | status |",
        "| --- | --- | --- | --- | --- |",
    ]
    for res in results:
        for c in res.claims:
            stmt = c.statement.replace("|", "\\|")
            lines.append(
                f"| {res.name} | {stmt} | {_fmt(c.measured)} | {c.expected.replace('|', '/')} | "
                f"{'pass' if c.passed else '**FAIL**'} |"
            )
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
            lines.append(f"![{stem}](../results/{res.name}/{Path(path).name})")
    return "\n".join(lines) + "\n"


def write_report(results_dir: str | Path = "results", out_dir: str | Path = "report") -> Path:
    """Render every saved result under ``results_dir`` to ``out_dir/index.html`` (figures
    embedded, so the page is self-contained) and ``out_dir/README.md``; return the HTML path."""
    results = load_results(results_dir)
    if not results:
        raise FileNotFoundError(f"no study results under {results_dir}; run a study first")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    n_claims = sum(len(r.claims) for r in results)
    n_pass = sum(c.passed for r in results for c in r.claims)
    toc = "".join(
        f'<li><a href="#{html.escape(r.name)}">{html.escape(r.title)}</a>'
        f" — {_status(r.passed)}</li>"
        for r in results
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>theorylab report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body><h1>theorylab report</h1>
<p class="meta">generated {stamp} · <span id="tally">{n_pass}/{n_claims}</span> claims pass
over {len(results)} studies</p>
<h2>Claims</h2>{_claims_html(results)}
<h2>Studies</h2><ul>{toc}</ul>
{"".join(_study_html(r) for r in results)}
</body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    (out / "README.md").write_text(_markdown(results, stamp), encoding="utf-8")
    return path
