"""Great Expectations suites: expectation counts per table (GX has merged expectations
silently before), a validation run on a tiny store, nothing written outside STORE/gx, and the
same run prepared in another process (``validate/_beside.py``) giving the same result."""

from __future__ import annotations

import os
import warnings
from datetime import date

import pandas as pd
import pytest

from driftflag.casemodel import CaseStore
from driftflag.casemodel.schema import TABLE_ORDER, TABLES

pytest.importorskip("great_expectations")


def test_suites_hold_every_expectation(tmp_path, monkeypatch):
    from driftflag.validate._gx import _context, build_suites, expected_count

    monkeypatch.chdir(tmp_path)
    ctx = _context(tmp_path / "gx")
    suites = build_suites(ctx, date(2026, 3, 31))  # raises if GX merged any expectation
    counts = {t: len(suites[t].expectations) for t in TABLE_ORDER}
    assert counts == {t: expected_count(TABLES[t]) for t in TABLE_ORDER}
    # pinned for two tables, computed by hand from the schema
    # children: 1 column set + 6 dtypes + 3 not-null + 2 code lists + 4 date ranges + 1 date order
    # + 1 unique key = 18 (known_from, the knowledge date, adds a dtype and a date range; so it
    # does on lac_episodes: 23 + 2)
    assert counts["children"] == 18 and counts["lac_episodes"] == 25
    assert sorted(os.listdir(tmp_path)) == ["gx"]


def _store() -> CaseStore:
    """Two tables, one failing two expectations (an end before its start, an unknown child)."""
    kids = pd.DataFrame({"child_id": ["1", "2"], "sex": ["M", "F"],
                         "date_of_birth": pd.to_datetime(["2015-01-01", "2016-01-01"])})
    eps = pd.DataFrame({"episode_id": ["e1"], "child_id": ["9"], "decom": pd.to_datetime(["2025-01-01"]),
                        "rne": ["S"], "ls": ["C2"], "place": ["U1"], "dec": pd.to_datetime(["2024-01-01"])})
    return CaseStore.from_frames({"children": kids, "lac_episodes": eps})


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> tuple:
    """The suites run here on :func:`_store` (the folder it ran in, the result, what the
    folder holds), once for the tests that compare with them."""
    from driftflag.validate._gx import run_suites

    folder = tmp_path_factory.mktemp("here")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        res = run_suites(_store(), folder / "store" / "gx", extract_date=date(2026, 3, 31))
    finally:
        os.chdir(cwd)
    return folder, res, sorted(os.listdir(folder))


def test_validation_run_and_data_docs(validated):
    folder, res, written = validated
    assert res["tables"]["children"]["success"]
    failed = set(res["tables"]["lac_episodes"]["failed"])
    assert "expect_column_pair_values_a_to_be_greater_than_b:" in failed  # dec before decom
    assert "expect_column_values_to_be_in_set:_child_in_store" in failed  # child 9 unknown
    assert not res["success"]
    assert res["docs"] == "gx/gx/uncommitted/data_docs/local_site/index.html"  # from the store's folder
    assert (folder / "store" / res["docs"]).is_file()
    assert written == ["store"]  # nothing written outside the store


# --- prepared in another process (validate/_beside.py) ------------------------------------------

def test_suites_beside_give_what_the_suites_here_give(validated, tmp_path, monkeypatch, capfd):
    """... and print none of the libraries' warnings that the command line silences (the other
    process imports GX, which imports pyspark, whose FutureWarning about pandas reached the
    terminal of every large ingest)."""
    from driftflag.cli import quiet_libraries
    from driftflag.validate import start_suites

    monkeypatch.chdir(tmp_path)
    _, here, _ = validated
    capfd.readouterr()
    with warnings.catch_warnings():
        quiet_libraries()
        suites = start_suites(tmp_path / "store" / "gx", date(2026, 3, 31), beside=True)
    with suites:
        assert suites.beside  # another interpreter was started
        there = suites.run(_store())
    assert there == here
    assert (tmp_path / "store" / there["docs"]).is_file()
    assert sorted(os.listdir(tmp_path)) == ["store"]  # nothing written anywhere else
    assert "Warning" not in capfd.readouterr().err


def test_the_warning_filters_cross_as_they_act():
    """The filters handed to the other process act there as they act here: each warning is
    ignored, raised or shown alike under both (Python's own warnings machinery decides)."""
    from driftflag.validate._beside import _apply_warning_filters, _warning_filters

    cases = [(FutureWarning, "PySpark does not yet fully support pandas", "pyspark.sql.connect.utils"),
             (DeprecationWarning, "old", "__main__"), (DeprecationWarning, "old", "__main__x"),
             (UserWarning, "Skipping features", "sklearn.impute._base"), (RuntimeWarning, "x", "driftflag.y")]

    def outcomes() -> list[str]:
        out = []
        for category, message, module in cases:
            with warnings.catch_warnings(record=True) as seen:
                try:
                    warnings.warn_explicit(message, category, "f.py", 1, module=module, registry={})
                except Warning:
                    out.append("raised")
                    continue
            out.append("shown" if seen else "ignored")
        return out

    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        warnings.filters.insert(0, ("error", None, DeprecationWarning, "__main__", 0))  # a text, as Python's own
        warnings.filterwarnings("ignore", module="pyspark")
        warnings.filterwarnings("ignore", message="skipping", category=UserWarning)
        here = outcomes()
        sent = _warning_filters()
    with warnings.catch_warnings():
        _apply_warning_filters(sent)
        there = outcomes()
    assert here == ["ignored", "raised", "shown", "ignored", "shown"]
    assert there == here


def test_a_failure_in_the_other_process_is_raised_here(tmp_path):
    from driftflag.validate import start_suites

    (tmp_path / "store").write_text("a file where the store's folder should be")
    suites = start_suites(tmp_path / "store" / "gx", date(2026, 3, 31), beside=True)
    try:
        with pytest.raises((FileExistsError, NotADirectoryError)):
            suites.run(_store())
    finally:
        suites.close()
    assert suites.proc.returncode is not None


def test_the_other_process_is_stopped_when_its_result_is_never_asked_for(tmp_path):
    from driftflag.validate import start_suites

    with start_suites(tmp_path / "store" / "gx", date(2026, 3, 31), beside=True) as suites:
        proc = suites.proc
    assert proc.returncode is not None  # killed and waited for, not left running


def test_tables_arriving_are_read_as_asked_for() -> None:
    """The other process reads each table when the suites ask for it (validating one while the
    next is still sent), whatever order they are asked in; a table never sent is a KeyError."""
    import io
    import pickle

    from driftflag.validate._beside import _Arriving

    sent = {"children": pd.DataFrame({"child_id": ["A"]}), "visits": pd.DataFrame({"n": [1, 2]}),
            "referrals": pd.DataFrame({"n": [3]})}
    stream = io.BytesIO()
    for table in sent.values():
        data = pickle.dumps(table)
        stream.write(len(data).to_bytes(8, "little") + data)
    stream.seek(0)
    arriving = _Arriving(stream, list(sent))
    assert list(arriving["children"]["child_id"]) == ["A"]
    assert stream.tell() < len(stream.getvalue())  # the others not read yet
    pd.testing.assert_frame_equal(arriving["referrals"], sent["referrals"])  # reads visits on the way
    pd.testing.assert_frame_equal(arriving["visits"], sent["visits"])
    assert "visits" in arriving and "adoptions" not in arriving
    with pytest.raises(KeyError):
        arriving["adoptions"]
