"""Shared fixtures: the conservation study's quick preset runs once per test session."""

import pytest

from theorylab import studies


@pytest.fixture(scope="session")
def conservation_result():
    return studies.run("conservation-laws", preset="quick")


@pytest.fixture(scope="session")
def saved_results(tmp_path_factory, conservation_result):
    out = tmp_path_factory.mktemp("results")
    conservation_result.save(out)
    return out
