import html
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


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(saved_results, tmp_path, conservation_result):
    path = write_report(saved_results, tmp_path / "report")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "theorylab report" in dom
    assert dom.count("<tr>") >= len(conservation_result.claims)
    for claim in conservation_result.claims:
        assert html.escape(claim.statement, quote=False) in dom  # the DOM serializer keeps quotes
    shot = tmp_path / "page.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,2000", path.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000  # a rendered page, not a blank one
