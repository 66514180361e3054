from theorylab.studies import conservation_laws as S


def test_quick_preset_claims_pass(conservation_result):
    failed = [
        (c.statement, c.measured, c.expected) for c in conservation_result.claims if not c.passed
    ]
    assert not failed
    assert len(conservation_result.claims) >= 8
    assert set(conservation_result.figures) == {"gradient_flow_laws", "training_drift"}


def test_reference_cases_match_the_table(conservation_result):
    table = conservation_result.tables[0]
    col = {c: i for i, c in enumerate(table.columns)}
    for row in table.rows:
        assert row[col["laws"]] == row[col["reference"]], row


def test_random_sweep_is_reproducible():
    cfg = S.Config(n_random=3)
    a = S._random_section(cfg)[0].rows
    b = S._random_section(cfg)[0].rows
    assert [r[:5] for r in a] == [r[:5] for r in b]
