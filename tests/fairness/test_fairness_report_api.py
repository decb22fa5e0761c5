"""Views, determinism, errors and configuration of the fairness report."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

import driftflag.fairness as fairness
from driftflag import HUMAN_DECISION_NOTICE
from driftflag.errors import DriftflagError
from driftflag.fairness import (
    FairnessConfig,
    FairnessConfigError,
    ScoredCaseloadError,
    build_fairness_report,
    load_population_shares,
)

from .data_for_test import tiny_caseload


def test_all_names_import():
    for name in fairness.__all__:
        assert hasattr(fairness, name), name


def test_views_return_one_type(small_report):
    assert set(small_report.dimensions) == set(fairness.DIMENSIONS)
    assert isinstance(small_report.by_group("sex"), pd.DataFrame)
    d = small_report.disparity("ethnicity")
    assert set(d["reference"]) == {"White"}
    status = small_report.verdict.status
    assert status in {"pass", "attention", "insufficient evidence", "fail"}
    # the gate reads the verdict: pass lets through, fail refuses, the rest is the panel's call
    assert small_report.gate() is {"pass": True, "fail": False}.get(status)
    # a small caseload cannot judge every main comparison: never "pass", and it says why
    assert status != "pass" and small_report.verdict.missing_evidence
    assert small_report.to_dict()["notice"] == HUMAN_DECISION_NOTICE
    assert "Not known" in set(small_report.by_group("ethnicity")["group"])


def test_disparity_with_another_reference(small_report):
    d = small_report.disparity("ethnicity", reference="Mixed")
    assert set(d["reference"]) == {"Mixed"}
    with pytest.raises(FairnessConfigError) as e:
        small_report.disparity("ethnicity", reference="Martian")
    assert e.value.args[0].startswith("reference 'Martian' is not a group of ethnicity")


def test_write_is_byte_identical(small_scored, tmp_path):
    cfg = FairnessConfig(n_bootstrap=30, random_state=1, dimensions=("sex",),
                         mitigation=False)
    a = build_fairness_report(small_scored, cfg).write(tmp_path / "a")
    b = build_fairness_report(small_scored, cfg).write(tmp_path / "b")
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_missing_columns_error_names_them():
    df = tiny_caseload().drop(columns=["audit_sex", "selected"])
    with pytest.raises(ScoredCaseloadError) as e:
        build_fairness_report(df, FairnessConfig(n_bootstrap=0))
    assert e.value.args[0] == ("scored caseload: missing columns: audit_sex, selected (or give k "
                               "in the config)")
    assert isinstance(e.value, DriftflagError)


def test_k_in_config_selects_top_k():
    df = tiny_caseload().drop(columns=["selected"])
    r = build_fairness_report(df, FairnessConfig(n_bootstrap=0, k=12))
    assert r._stats.point["sex"]["n_selected"].sum() == 12


def test_bad_config_is_refused():
    with pytest.raises(ValidationError):
        FairnessConfig(band=(1.2, 0.8))
    with pytest.raises(ValidationError):
        FairnessConfig(unknown_option=1)
    with pytest.raises(ValidationError):
        FairnessConfig(reference={"religion": "x"})


def test_model_card_absent_is_said_and_present_is_shown():
    cfg = FairnessConfig(n_bootstrap=10, dimensions=("sex",), mitigation=False)
    html = build_fairness_report(tiny_caseload(), cfg).to_html()
    assert "No model card was supplied" in html
    assert "Public Sector Equality Duty" in html
    assert HUMAN_DECISION_NOTICE in html
    cfg = cfg.model_copy(update={"model_card": "# Model card\nIntended use: <audit>"})
    html = build_fairness_report(tiny_caseload(), cfg).to_html()
    assert "Intended use: &lt;audit&gt;" in html


def test_population_shares_default_and_custom(tmp_path):
    s, source = load_population_shares()
    assert abs(s.sum() - 1) < 1e-12 and "Not known" not in s.index
    f = tmp_path / "pop.csv"
    f.write_text("group,share\nWhite,60\nAsian,20\nBlack,10\nMixed,5\nOther,5\n")
    s2, _ = load_population_shares(f)
    assert s2["White"] == pytest.approx(0.6)
    f.write_text("group,share\nMartian,1\n")
    with pytest.raises(FairnessConfigError):
        load_population_shares(f)


def test_history_features_picked_by_name():
    cfg = FairnessConfig(feature_columns=("prior_cp_plans", "missing_90d", "referrals_12m"))
    assert cfg.history_feature_names() == ("prior_cp_plans", "referrals_12m")
