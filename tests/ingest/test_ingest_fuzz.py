"""Random mutations of valid return files never produce a traceback: either one clear
SourceFileError naming the file, or an ingest whose rows are all accounted for.

CI runs a bounded number of examples (about 150 in all); ``benchmarks/bench_ingest.py --fuzz N``
runs thousands.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftflag.errors import DriftflagError, SourceFileError
from driftflag.ingest.detect import detect_sources
from driftflag.ingest.run import build

EXTRACT = date(2026, 3, 31)
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def mutate(data: bytes, kind: str, pos: int, value: int) -> bytes:
    """One of the mutations of the issue: byte flip, truncation, wrong delimiter, shuffled or
    renamed header, huge value, blank content."""
    if not data:
        return data
    p = pos % len(data)
    if kind == "flip":
        return data[:p] + bytes([data[p] ^ (1 + value % 255)]) + data[p + 1:]
    if kind == "truncate":
        return data[:p]
    if kind == "delimiter":
        return data.replace(b",", b";" if value % 2 else b"\t")
    if kind == "header":
        head, _, rest = data.partition(b"\n")
        cols = head.split(b",")
        if value % 2:
            cols = cols[::-1]
        else:
            cols[p % len(cols)] = b"RENAMED_" + cols[p % len(cols)]
        return b",".join(cols) + b"\n" + rest
    if kind == "huge":
        return data[:p] + b"9" * (1000 + value * 100) + data[p:]
    if kind == "blank":
        return b"\n" * (value % 3)
    raise AssertionError(kind)


def _check(files: list[Path]) -> None:
    try:
        sources = detect_sources(files)
        _store, acc, _issues, _dups = build(sources, extract_date=EXTRACT)
    except SourceFileError as e:
        msg = str(e)
        assert "\n" not in msg and msg.startswith(str(e.source))
        return
    except DriftflagError as e:  # any other user-facing error must still be one line
        assert "\n" not in str(e)
        return
    assert (acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]).all()


KINDS = st.sampled_from(["flip", "truncate", "delimiter", "header", "huge", "blank"])


@pytest.fixture(scope="module")
def originals(clean_la):
    year = sorted((clean_la / "ssda903").iterdir())[-1]
    return {
        "episodes": (year / "episodes.csv").read_bytes(),
        "header": (year / "header.csv").read_bytes(),
        "cin": sorted((clean_la / "cin_census").iterdir())[-1].read_bytes(),
        "annex": next((clean_la / "annex_a").iterdir()).read_bytes(),
    }


@SETTINGS
@given(kind=KINDS, pos=st.integers(0, 10**6), value=st.integers(0, 1000))
def test_mutated_903_csv(originals, tmp_path, kind, pos, value):
    d = tmp_path / "2025-26"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    (d / "header.csv").write_bytes(originals["header"])
    (d / "episodes.csv").write_bytes(mutate(originals["episodes"], kind, pos, value))
    _check([d / "header.csv", d / "episodes.csv"])


@SETTINGS
@given(kind=st.sampled_from(["flip", "truncate", "huge", "blank"]), pos=st.integers(0, 10**6),
       value=st.integers(0, 1000))
def test_mutated_cin_xml(originals, tmp_path, kind, pos, value):
    f = tmp_path / "cin_census_2025-26.xml"
    f.write_bytes(mutate(originals["cin"], kind, pos, value))
    _check([f])


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(["flip", "truncate", "blank"]), pos=st.integers(0, 10**6), value=st.integers(0, 1000))
def test_mutated_annex_a_workbook(originals, tmp_path, kind, pos, value):
    f = tmp_path / "annex_a_2026-03-31.xlsx"
    f.write_bytes(mutate(originals["annex"], kind, pos, value))
    _check([f])


def test_blank_sheets_and_shuffled_headers_in_a_workbook(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "List 3"
    ws = wb.create_sheet("List 7")
    ws.append(["Child Protection Plan Start Date", "child unique id", "GENDER", "Ethnicity", "Age"])
    ws.append(["01/02/2025", "C1", "Female", "White British", 9])
    ws.append(["not a date", "C2", "b) Female", "XXXX", 9])
    wb.create_sheet("List 8")
    f = tmp_path / "annex.xlsx"
    wb.save(f)
    sources = detect_sources([f])
    store, acc, issues, _ = build(sources, extract_date=EXTRACT)
    assert acc["rows_read"].tolist() == [2]
    # C1 has no date of birth in any return; C2 has an unreadable plan start
    assert set(zip(issues["value"], issues["rule"], strict=True)) >= {("not a date", "unparseable_date")}
    assert "missing_required" in set(issues["rule"])
    assert len(store["cp_plans"]) == 0
