"""Public sample files from other projects (deliberately messy) ingest without an uncaught
exception, every row accounted for, with the quarantine reasons checked on inspection."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from driftflag.ingest.run import ingest

EXTERNAL = (Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "external").resolve()
pytestmark = [pytest.mark.external,
              pytest.mark.skipif(not EXTERNAL.is_dir(), reason=f"external fixtures absent: {EXTERNAL}")]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return ingest([EXTERNAL], tmp_path_factory.mktemp("ext") / "store", extract_date=date(2026, 3, 31),
                  created_at=datetime(2026, 4, 1), run_gx=False)


def test_every_external_file_is_read_and_accounted_for(result):
    acc = result.accounting.set_index("file")
    names = {Path(f).name for f in acc.index}
    assert names == {"Annex_A.xlsx", "CIN_Census_2024.xml", "episodes.csv", "header.csv", "missing.csv",
                     "reviews.csv"}
    assert (acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]).all()
    ep = acc.loc[str(EXTERNAL / "ssda903" / "episodes.csv")]
    assert ep["rows_read"] == 5050


def test_quarantine_reasons_on_inspection(result):
    e = result.errors
    # the CIN sample has an assessment starting 2028-04-28, after the extract date, whose
    # authorisation (2020-09-19) is before its start
    ass = e.loc[(e["table"] == "assessments")]
    assert {"after_extract_date", "date_order"} <= set(ass["rule"])
    assert "2028-04-28" in set(ass["value"])
    # 903 reviews dated after the extract date are refused, not silently kept
    rev = e.loc[(e["table"] == "lac_reviews") & (e["rule"] == "after_extract_date")]
    assert len(rev) > 0
    assert (pd.to_datetime(rev["value"], format="%d/%m/%Y") > pd.Timestamp("2026-03-31")).all()
    # Annex A: 'PSRMEM - ...' is not a CIN primary need code: a warning, the row is kept
    w = result.warnings
    assert ((w["column"] == "primary_need") & w["value"].str.startswith("PSRMEM")).any()


def test_labels_and_variants_are_understood(result):
    kids = result.store["children"].set_index("child_id")
    # Annex A list 1 writes 'Female' without the 'b) ' prefix
    assert kids.loc["9212044", "sex"] == "F"
    # CIN 2024 sample writes <Sex>1</Sex> (the old GenderCurrent coding)
    assert kids.loc["DfEX0000001", "sex"] == "M"
