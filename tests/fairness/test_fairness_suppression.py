"""No output shows a count from 1 to 9 or a rate for a group under 20 (scans every output)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.fairness import FairnessConfig, build_fairness_report
from driftflag.fairness._suppress import is_small, secondary_suppress

from .data_for_test import tiny_caseload

COUNT_KEYS = {"n", "n_labelled", "n_positive", "n_selected", "n_entered_care", "cases_changed",
              "open_cases", "on_worklist", "with_label", "with_outcome"}
RATE_KEYS = {"base_rate", "selection_rate", "precision", "false_discovery_rate",
             "false_negative_rate", "false_positive_rate", "recall", "mean_score",
             "observed_to_predicted", "selection_to_need", "recall_entered_care",
             "history_contribution_mean"}


def _walk(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, (*path, i))
    else:
        yield path, obj


@pytest.fixture(scope="module")
def written(small_report, tmp_path_factory):
    out = small_report.write(tmp_path_factory.mktemp("pack") / "fairness")
    return out


def test_json_has_no_small_count(written):
    data = json.loads((written / "fairness.json").read_text())
    seen = 0
    for path, v in _walk(data):
        if path and path[-1] in COUNT_KEYS and path[0] != "config":
            seen += 1
            assert not (isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v <= 9), path


def test_json_rates_hidden_for_groups_under_20(written, small_report):
    data = json.loads((written / "fairness.json").read_text())
    raw = small_report._stats.point
    for dim, blob in data["dimensions"].items():
        for g in blob["groups"]:
            if raw[dim].loc[g["group"], "n"] < 20:
                for k in RATE_KEYS & set(g):
                    assert g[k] is None, (dim, g["group"], k)
                assert g["n"] in (0, "<10", "hidden") or raw[dim].loc[g["group"], "n"] >= 10
        for d in blob["disparities"]:
            if raw[dim].loc[d["group"], "n"] < 20:
                assert d["ratio"] is None


def test_html_tables_have_no_small_count(written):
    html = (written / "fairness.html").read_text()
    cells = re.findall(r"<td>(.*?)</td>", html, flags=re.S)
    assert len(cells) > 100
    for c in cells:
        assert not re.fullmatch(r"\s*[1-9]\s*", c), c
    assert "&lt;10" in html
    assert html.count(HUMAN_DECISION_NOTICE) >= 1


def test_charts_show_no_small_group(written, small_report):
    raw = small_report._stats.point["ethnicity"]
    small = [g for g in raw.index if raw.loc[g, "n"] < 20]
    svg = (written / "charts" / "disparity_ethnicity.svg").read_text()
    for g in small:
        assert f">{g}<" not in svg
    for f in (written / "charts").glob("*.svg"):
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", f.read_text())
        assert not any(re.fullmatch(r"\s*[1-9]\s*", t) for t in texts), f.name


def test_tiny_caseload_suppresses_and_secondary_suppresses(tmp_path):
    cfg = FairnessConfig(n_bootstrap=20, random_state=0)
    r = build_fairness_report(tiny_caseload(), cfg)
    t = r.by_group("ethnicity").set_index("group")
    # Asian 8, Not known 7: primary; the rest are >= 10
    assert t.loc["Asian", "n"] == "<10" and t.loc["Not known", "n"] == "<10"
    assert t.loc["White", "n"] == 30
    assert all(v is None for v in t.loc["Asian", ["precision", "selection_rate"]])
    # every count column: no dimension has exactly one hidden non-zero cell
    for dim in r.dimensions:
        tab = r.by_group(dim)
        for col in ("n", "n_selected", "n_positive"):
            hidden = tab[col].isin(["<10", "hidden"]).sum()
            assert hidden != 1, (dim, col)
            raw = r._stats.point[dim][col].to_numpy()
            small = (tab[col] == "<10").to_numpy()
            # "<10" only for a count from 1 to 9; a larger one hidden with it says "hidden"
            assert ((raw[small] >= 1) & (raw[small] <= 9)).all(), (dim, col)
    r.write(tmp_path / "out")
    html = (tmp_path / "out" / "fairness.html").read_text()
    for c in re.findall(r"<td>(.*?)</td>", html, flags=re.S):
        assert not re.fullmatch(r"\s*[1-9]\s*", c), c


def test_secondary_suppression_rule():
    v = np.array([50, 4, 30, 12, 96])  # last cell is the published total
    mask = secondary_suppress(v, is_small(v, 10), [np.array([0, 1, 2, 3, 4])])
    assert mask.tolist() == [False, True, False, True, False]  # 12, the smallest other
    v2 = np.array([50, 0, 30, 80])
    assert not secondary_suppress(v2, is_small(v2, 10), [np.arange(4)]).any()
