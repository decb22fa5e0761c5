"""SSDA903 writer: exact columns, year selection, year-dependent codes, no future dates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from driftflag.casemodel import codes
from driftflag.synth.writers import build_903_tables, write_ssda903
from driftflag.synth.writers.ssda903 import COLUMNS, TABLES, place_for_year

from .data_for_test import small_store
from .readback import read_903

YEARS = (2024, 2025, 2026)
DATE_COLS = {"header": ("DOB", "MC_DOB"), "episodes": ("DECOM", "DEC"), "uasc": ("DOB", "DUC"),
             "missing": ("DOB", "MIS_START", "MIS_END"), "reviews": ("DOB", "REVIEW")}
EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "external"


@pytest.fixture(scope="module")
def la(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("la903")
    write_ssda903(small_store(), out, YEARS)
    return out


def read(la: Path, year: int, table: str) -> pd.DataFrame:
    return read_903(la / "ssda903" / f"{year - 1}-{year % 100:02d}" / f"{table}.csv")


def test_layout_and_exact_columns(la):
    for y in YEARS:
        for t in TABLES:
            path = la / "ssda903" / f"{y - 1}-{y % 100:02d}" / f"{t}.csv"
            first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            assert first == ",".join(COLUMNS[t])
            assert tuple(read(la, y, t).columns) == COLUMNS[t]


@pytest.mark.skipif(not (EXTERNAL / "ssda903").is_dir(), reason="external fixtures absent")
def test_columns_match_external_sample_files():
    for t in ("header", "episodes", "missing", "reviews"):
        first = (EXTERNAL / "ssda903" / f"{t}.csv").read_text().split("\n", 1)[0].strip()
        assert first == ",".join(COLUMNS[t])


def test_built_frames_are_what_is_written(la):
    store = small_store()
    for y in YEARS:
        built = build_903_tables(store, y)
        for t in TABLES:
            assert built[t].dtypes.eq(object).all()
            pd.testing.assert_frame_equal(read(la, y, t), built[t].astype(str),
                                          check_dtype=False)


def test_no_date_after_the_reference_date(la):
    for y in YEARS:
        ref = datetime(y, 3, 31)
        for t, cols in DATE_COLS.items():
            df = read(la, y, t)
            for c in cols:
                values = [v for v in df[c] if v]
                assert all(datetime.strptime(v, "%d/%m/%Y") <= ref for v in values), (y, t, c)


def test_episode_selection_and_open_at_census(la):
    e24 = read(la, 2024, "episodes")
    c006 = e24[e24.CHILD == "C006"].iloc[0]
    assert (c006.DEC, c006.REC) == ("", "")  # ceased 01/05/2024: after 31/03/2024
    e25 = read(la, 2025, "episodes")
    c006 = e25[e25.CHILD == "C006"].iloc[0]
    assert (c006.DEC, c006.REC) == ("01/05/2024", "E4A")
    assert "C006" not in set(read(la, 2026, "episodes").CHILD)
    # C002's first episode ended 15/09/2023: only in 2023-24
    assert list(read(la, 2026, "episodes").query("CHILD == 'C002'").DECOM) == [
        "10/01/2025", "01/07/2025"]
    assert set(read(la, 2024, "header").CHILD) == set(e24.CHILD)


def test_sex_coding_by_year(la):
    h24 = read(la, 2024, "header").set_index("CHILD").SEX
    assert h24.to_dict() == {"C002": "1", "C006": "", "C007": "1"}
    h25 = read(la, 2025, "header").set_index("CHILD").SEX
    assert h25["C006"] == "U" and h25["C002"] == "M"
    assert read(la, 2025, "uasc").SEX.tolist() == ["M"]


def test_place_codes_valid_and_mapped_per_year(la):
    for y in YEARS:
        ep = read(la, y, "episodes")
        assert set(ep.PLACE) <= set(codes.place_codes(y)), y
    e24 = read(la, 2024, "episodes").set_index("DECOM")
    assert e24.loc["15/09/2023", "PLACE"] == "H5"  # K3 before 2024-25
    e25 = read(la, 2025, "episodes").set_index("DECOM")
    assert e25.loc["10/01/2025", "PLACE"] == "Z1"  # Z11 before 2025-26
    assert e25.loc["10/01/2025", "PLACE_PROVIDER"] == ""
    e26 = read(la, 2026, "episodes").set_index("DECOM")
    assert e26.loc["10/01/2025", "PLACE"] == "Z11"
    assert e26.loc["01/07/2025", "PLACE"] == "K3"
    assert e26.loc["01/07/2025", "PLACE_PROVIDER"] == "PR4"


def test_place_for_year_mapping():
    import numpy as np

    codes_in = np.array(["Z11", "Z14", "K3", "U1", ""], dtype=object)
    assert place_for_year(codes_in, 2024).tolist() == ["Z1", "Z1", "H5", "U1", ""]
    assert place_for_year(codes_in, 2025).tolist() == ["Z1", "Z1", "K3", "U1", ""]
    assert place_for_year(codes_in, 2026).tolist() == ["Z11", "Z14", "K3", "U1", ""]


def test_missing_uasc_reviews(la):
    m25 = read(la, 2025, "missing")
    assert m25.MIS_START.tolist() == ["01/10/2024", "05/01/2025", "30/03/2025"]
    assert m25.MIS_END.tolist() == ["02/10/2024", "05/01/2025", ""]  # open at 31/03/2025
    assert m25.DOB.unique().tolist() == ["01/09/2008"]
    m26 = read(la, 2026, "missing")
    assert m26.MIS_START.tolist() == ["01/12/2025", "30/03/2026"]
    u = read(la, 2026, "uasc")
    assert u.to_dict("records") == [{"CHILD": "C003", "SEX": "M", "DOB": "01/09/2008",
                                     "DUC": ""}]  # ceases 01/09/2026, after the census date
    r26 = read(la, 2026, "reviews")
    assert r26.REVIEW.tolist() == ["01/05/2025", "01/11/2025"]
    assert read(la, 2024, "uasc").empty
