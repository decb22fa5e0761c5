"""scores.parquet beside the worklist: every open case, ranked, marked not for sharing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from driftflag import stages
from driftflag.worklist.month_scores import NOT_FOR_SHARING, month_scores, write_month_scores
from driftflag.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]


def test_ranks_share_ties_and_the_notice_travels_with_the_file(tmp_path):
    scored = pd.DataFrame({"child_id": ["B", "A", "C"], "as_of": ["2025-11-01"] * 3,
                           "score": [0.2, 0.9, 0.2], "team": ["T1"] * 3})
    got = month_scores(scored, "rule_baseline v1")
    assert got["child_id"].tolist() == ["A", "B", "C"] and got["rank"].tolist() == [1, 2, 2]
    assert list(got.columns) == ["child_id", "as_of", "score", "rank", "model"]
    path = write_month_scores(scored, tmp_path / "wl", "rule_baseline v1")
    meta = pq.read_schema(path).metadata
    assert meta[b"driftflag.notice"].decode() == NOT_FOR_SHARING
    assert "NOT FOR SHARING" in (tmp_path / "wl" / "scores_README.txt").read_text()
    pd.testing.assert_frame_equal(pd.read_parquet(path), got, check_dtype=False)


def test_worklist_writes_the_score_of_every_open_case(tmp_path, store_path, registered_workspace):
    out = tmp_path / "wl"
    wl = stages.worklist(store_path, "2025-11", out, policy=ROOT / "pipelines" / "monthly_audit.yaml",
                         workspace=Workspace.resolve(registered_workspace)).worklist
    scores = pd.read_parquet(out / "scores.parquet")
    assert len(scores) == wl.summary()["open_cases"] and scores["child_id"].is_unique
    assert set(wl.frame["child_id"].astype(str)) <= set(scores["child_id"])
    assert not (out / "shared" / "scores.parquet").exists()
    # the "Model" line people read is in words; the registry reference is on the methods sheet
    import openpyxl

    html = (out / "worklist.html").read_text()
    model_row = html.split("<th>Model</th><td>", 1)[1].split("</td>", 1)[0]
    assert model_row.startswith("Ranked by a points scorecard") and " v1 " not in model_row
    about = openpyxl.load_workbook(out / "worklist.xlsx")["About the sample"]
    cells = {str(r[0].value): str(r[1].value) for r in about.iter_rows(min_row=3) if r[0].value}
    assert " v1 " in cells["Model reference (for the data scientist)"]
    summary = openpyxl.load_workbook(out / "worklist.xlsx")["Summary"]
    facts = {str(r[0].value): str(r[1].value) for r in summary.iter_rows() if r[0].value}
    from driftflag.worklist.outputs import META_SHEET

    teams = wl.frame["team"].nunique(dropna=False)  # unallocated cases: a sheet of their own
    assert facts["Team sheets"].startswith(f"{teams} team sheet")
    sheets = set(openpyxl.load_workbook(out / "worklist.xlsx").sheetnames) - {"Summary", "About the sample", META_SHEET}
    assert len(sheets) == teams
