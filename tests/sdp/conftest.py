"""Fixtures of the sdp tests: G-set files are looked up next to the repository
(``../shared/data/gset`` from the repository root) and the tests that need them skip when
they are absent (clean CI checkouts)."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GSET_DIR = REPO.parent / "shared" / "data" / "gset"


@pytest.fixture
def gset_dir() -> Path:
    if not (GSET_DIR / "G11").is_file():
        pytest.skip(f"G-set files not found in {GSET_DIR}")
    return GSET_DIR
