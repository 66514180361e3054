import html
import json
import os
import re
import shutil
import subprocess

import pytest

from theorylab.report import load_results, write_report


def test_report_contains_every_claim(saved_results, tmp_path, conservation_result):
    path = write_report(saved_results, tmp_path / "report")
    page = path.read_text()
    for claim in conservation_result.claims:
        assert html.escape(claim.statement) in page
    n = len(conservation_result.claims)
    assert f"{sum(c.passed for c in conservation_result.claims)}/{n}" in page
    assert page.count("data:image/png;base64,") == len(conservation_result.figures)
    for stem, caption in conservation_result.captions.items():
        assert f"<figcaption>{html.escape(caption)}</figcaption>" in page, stem
    assert 'id="toc"' in page and 'href="#conservation-laws"' in page and 'id="summary"' in page
    assert "<img" in page and 'src="results' not in page  # self-contained
    md = (tmp_path / "report" / "README.md").read_text()
    for claim in conservation_result.claims:
        assert claim.statement.replace("|", "\\|") in md


def test_report_without_results(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(tmp_path / "missing", tmp_path / "r")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no study results"):
        write_report(tmp_path / "empty", tmp_path / "r")
    assert load_results(tmp_path / "empty") == []


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
    "--virtual-time-budget=5000",
]
# Runs first in <head>: records JavaScript errors, then after load checks that every image
# decoded, that every #anchor link resolves and that the page needs no horizontal scrollbar.
HARNESS = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message || e)));
window.addEventListener("load", () => {
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length;
  const links = [...document.querySelectorAll('a[href^="#"]')];
  const dangling = links.filter(a => !document.getElementById(a.getAttribute("href").slice(1)));
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  const out = document.createElement("pre");
  out.id = "harness";
  out.textContent = JSON.stringify({errors: window.__errors, images: document.images.length,
    broken, links: links.length, dangling: dangling.map(a => a.getAttribute("href")), wide,
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth});
  document.body.appendChild(out);
});
</script>"""


def _needs_chromium():
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


def test_report_renders_in_headless_chromium(saved_results, tmp_path, conservation_result):
    _needs_chromium()
    path = write_report(saved_results, tmp_path / "report")
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text().replace("<head>", "<head>" + HARNESS, 1))
    profile = [f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, *profile, "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "theorylab report" in dom
    found = re.search(r'<pre id="harness">(.*?)</pre>', dom, re.S)
    assert found, "the harness did not run"
    report = json.loads(html.unescape(found.group(1)))
    assert report["errors"] == [], report
    assert report["images"] == len(conservation_result.figures) and report["broken"] == 0, report
    assert report["links"] >= 3 and report["dangling"] == [], report
    assert not report["wide"], f"horizontal scrollbar at 1280 px: {report}"
    for claim in conservation_result.claims:
        assert html.escape(claim.statement, quote=False) in dom  # the DOM serializer keeps quotes
    shot = tmp_path / "page.png"
    subprocess.run(
        [CHROMIUM, *FLAGS, *profile, f"--screenshot={shot}", path.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000  # a rendered page, not a blank one
