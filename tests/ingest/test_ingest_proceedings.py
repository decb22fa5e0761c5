"""Ingest derives care proceedings from the 903 and keeps section 47s with a future ICPC target."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from driftflag.casemodel.schema import TABLES
from driftflag.ingest.run import ingest
from driftflag.ingest.to_canonical import part
from driftflag.validate.rules import check_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "casemodel"))
from test_care_proceedings import reference_weeks  # noqa: E402

FORMATS = ("ssda903", "cin_census", "annex_a", "audits")
pytestmark = pytest.mark.slow  # a 1,500-child LA written and ingested


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, synthetic_la_dir):
    root = tmp_path_factory.mktemp("proc")
    # every format is read, but one Annex A extract: proceedings and section 47s come from the
    # 903 and the CIN census, which the number of extracts does not change (see
    # tests/synth/test_synth_end_to_end.py); the 35 earlier extracts were most of the ingest
    la = synthetic_la_dir(children=1500, years=3, seed=3, annex_a_months=1)
    res = ingest([la / f for f in FORMATS], root / "store", extract_date=date(2026, 3, 31),
                 created_at=datetime(2026, 3, 31), run_gx=False)
    return la, res


def test_proceedings_match_the_simulators_own(ingested):
    la, res = ingested
    got = res.store["care_proceedings"]
    truth = pd.read_parquet(la / "canonical" / "care_proceedings.parquet")
    assert len(got) > 20 and len(got) == len(truth)
    m = got.merge(truth, on=["child_id", "application_date"], suffixes=("", "_truth"))
    assert len(m) == len(truth)
    same_end = (m["final_order_date"] == m["final_order_date_truth"]) | (
        m["final_order_date"].isna() & m["final_order_date_truth"].isna())
    assert same_end.all()
    known = m["final_order"].notna()
    assert (m.loc[known, "final_order"] == m.loc[known, "final_order_truth"]).all()


@pytest.mark.parametrize("as_of", ["2025-06-01", "2025-12-01", "2026-03-01"])
def test_indicator_agrees_with_the_903_reference_for_open_children(ingested, as_of):
    from driftflag.indicators import snapshot

    _, res = ingested
    day = pd.Timestamp(as_of)
    snap = snapshot(res.store, day)
    ref = reference_weeks(res.store["lac_episodes"], day)
    want = snap["child_id"].map(ref)
    got = snap["care_proceedings_weeks"]
    agree = (want.isna() & got.isna()) | ((want - got).abs() < 1e-9)
    assert want.notna().sum() >= 5
    assert agree.mean() >= 0.99, snap.loc[~agree, ["child_id", "care_proceedings_weeks"]].head()
    over = snap["care_proceedings_over_26w"].astype("boolean")
    assert bool((over.fillna(False) == (want > 26)).all())


def test_future_icpc_target_is_kept_but_a_placeholder_year_is_not():
    extract = pd.Timestamp("2026-03-31")
    rows = [{"child_id": "1", "start_date": "2026-03-25", "icpc_target_date": "2026-04-15"},
            {"child_id": "2", "start_date": "2026-03-25", "icpc_target_date": "2031-12-31"},
            {"child_id": "3", "start_date": "2026-04-02", "icpc_target_date": "2026-04-20"}]
    df = pd.DataFrame(rows).astype("str")
    df["_source_file"], df["_source_table"] = "cin.xml", "Section47"
    df["_source_row"] = ["1", "2", "3"]
    staged = part(df, {c: c for c in rows[0]}, fmt="cin", year=2026)
    typed, issues = check_table(TABLES["section47"], staged, extract_date=extract)
    found = pd.concat(issues)
    errors = found.loc[found["level"] == "error", ["source_row", "column", "rule"]].values.tolist()
    assert sorted(errors) == [["2", "icpc_target_date", "after_extract_date"],
                              ["3", "start_date", "after_extract_date"]]
    assert typed.loc[0, "icpc_target_date"] == pd.Timestamp("2026-04-15")
    assert TABLES["section47"].column("icpc_target_date").scheduled
    assert not TABLES["section47"].column("icpc_date").scheduled


def test_the_26_week_milestone_fires(ingested):
    from driftflag.targets.future_drift import TargetConfig, milestone_events

    _, res = ingested
    events = milestone_events(res.store, TargetConfig(milestones=("care_proceedings_26w",)))
    late = res.store["care_proceedings"]
    # open proceedings pass 26 weeks some day; closed ones only if the final order came later
    over = late["final_order_date"].isna() | (
        late["final_order_date"] > late["application_date"] + pd.DateOffset(weeks=26))
    assert len(events["care_proceedings_26w"]) == int(over.sum()) > 0
