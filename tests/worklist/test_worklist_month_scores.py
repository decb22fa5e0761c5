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
