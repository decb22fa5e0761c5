"""Injected bias is flagged; unbiased data at the same size raises no alarm in most seeds.

The full measurement (20 LA seeds) is ``benchmarks/bench_fairness.py alarms``; here one LA and
one biased LA at benchmark size, and a few unbiased replicates.
"""

from __future__ import annotations

import numpy as np
import pytest

from driftflag.fairness import FairnessConfig, build_fairness_report

from .data_for_test import scored_caseload

pytestmark = pytest.mark.slow  # two 30,000-child LAs
CFG = dict(n_bootstrap=100, random_state=0, mitigation=False,
           dimensions=("ethnicity", "sex", "age_band", "disability", "uasc"))


def _black_flagged(report) -> bool:
    return any(r.startswith("ethnicity Black") for r in report.verdict.reasons)


def test_label_bias_against_black_children_is_flagged(biased_scored):
    r = build_fairness_report(biased_scored, FairnessConfig(**CFG))
    assert r.verdict.status == "fail"
    assert _black_flagged(r)
    d = r.disparity("ethnicity").set_index(["group", "metric"])
    assert d.loc[("Black", "selection_rate"), "ci_low"] > 1.25


def test_direct_score_shift_is_flagged(bench_scored):
    df = bench_scored.copy()
    black = df["audit_ethnic_group"] == "Black"
    df["score"] = np.where(black, np.clip(df["score"] + 0.1, 0, 1), df["score"])
    df = df.drop(columns=["selected"])
    r = build_fairness_report(df, FairnessConfig(k=0.1, **CFG))
    assert r.verdict.status != "pass"
    assert _black_flagged(r)


def test_unbiased_data_puts_no_group_outside_band():
    # the stand-in model with no weight on history features: nothing should be found; one
    # month cannot judge every main group, so "insufficient evidence" or "attention" are fine
    for label_seed in range(3):
        df = scored_caseload(seed=1, children=30000, years=8, k=0.1, label_seed=label_seed,
                             history_weight=0.0)
        r = build_fairness_report(df, FairnessConfig(**CFG))
        assert r.verdict.status != "fail", r.verdict.reasons
        assert r.verdict.status != "pass" or not r.verdict.missing_evidence
