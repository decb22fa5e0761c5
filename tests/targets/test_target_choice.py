"""The target choice: split milestone labels, the audit target with its weights and fall-back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftflag.casemodel.store import CaseStore
from driftflag.errors import ConfigError
from driftflag.targets import DRIFT_MILESTONES, build_labels, describe_target, future_drift

AS_OF = pd.Timestamp("2025-01-01")


def _store(n_audits: int = 0, found_every: int = 2) -> CaseStore:
    referrals = pd.DataFrame([
        {"referral_id": "R1", "child_id": "A", "referral_date": "2024-05-01",
         "closure_date": "2025-02-01"},  # open on as_of, closed in the window ...
        {"referral_id": "R2", "child_id": "A", "referral_date": "2025-03-01"},  # ... and back
        {"referral_id": "R3", "child_id": "B", "referral_date": "2023-01-01"},
    ])
    cp = pd.DataFrame([{"cp_plan_id": "P1", "child_id": "B", "start_date": "2023-08-01",
                        "number_of_previous_cpp": 0}])  # passes 18 months on 2025-02-01
    audits = pd.DataFrame({
        "audit_id": [f"AU{i}" for i in range(n_audits)],
        "child_id": ["B" if i % 2 else "A" for i in range(n_audits)],
        "audit_date": [AS_OF + pd.Timedelta(days=3 + i % 20) for i in range(n_audits)],
        "grade": "Good", "drift_found": [i % found_every == 0 for i in range(n_audits)],
        "selection_reason": ["random" if i % 3 else "targeted" for i in range(n_audits)],
        "inclusion_probability": [0.01 if i % 3 else 0.5 for i in range(n_audits)],
        "auditor": "PM01",
    })
    return CaseStore.from_frames({"referrals": referrals, "cp_plans": cp, "audits": audits})


COHORT = pd.DataFrame({"child_id": ["A", "B"], "as_of": [AS_OF, AS_OF]})


def test_milestones_and_revolving_door_split_the_combined_label():
    store = _store()
    drift = build_labels(store, COHORT, "drift_milestones").labels.set_index("child_id")["label"]
    door = build_labels(store, COHORT, "revolving_door").labels.set_index("child_id")["label"]
    both = build_labels(store, COHORT, "future_drift").labels.set_index("child_id")["label"]
    assert drift.to_dict() == {"A": 0, "B": 1}
    assert door.to_dict() == {"A": 1, "B": 0}
    assert both.to_dict() == {"A": 1, "B": 1}
    assert "re_referral" not in DRIFT_MILESTONES
    # the combined target is exactly the original future_drift label
    assert both.tolist() == future_drift(store, cohort=COHORT)["label"].tolist()


def test_audit_target_weights_by_inverse_inclusion_probability():
    store = _store(n_audits=2)  # two audits, same month, one per child
    ls = build_labels(store, COHORT, "audit_finding", min_audits=2, min_findings=1)
    assert ls.target == "audit_finding" and ls.weighted and ls.horizon_months == 1
    got = ls.labels.set_index("child_id")
    assert got.loc["A", "label"] == 1 and got.loc["B", "label"] == 0
    assert got.loc["A", "ipw"] == pytest.approx(2.0)    # targeted, p = 0.5
    assert got.loc["B", "ipw"] == pytest.approx(100.0)  # random, p = 0.01
    assert got["weight"].mean() == pytest.approx(1.0)
    assert got.loc["B", "weight"] / got.loc["A", "weight"] == pytest.approx(50.0)


def test_unknown_inclusion_probability_is_left_out_and_reported():
    store = _store(n_audits=3)
    store.tables["audits"].loc[2, "inclusion_probability"] = np.nan
    ls = build_labels(store, COHORT, "audit_finding", min_audits=1, min_findings=1)
    assert len(ls.labels) == 2  # child A audited twice in the month keeps the first audit
    assert "1 audits without an inclusion probability" in ls.note


def test_few_audits_fall_back_to_drift_milestones_and_say_so():
    ls = build_labels(_store(n_audits=4), COHORT, "audit_finding", min_audits=5, min_findings=1)
    assert ls.requested == "audit_finding" and ls.target == "drift_milestones"
    assert not ls.weighted and ls.horizon_months == 6
    assert "fell back to drift milestones" in ls.note
    assert ls.labels.set_index("child_id")["label"].to_dict() == {"A": 0, "B": 1}
    few_findings = build_labels(_store(n_audits=40, found_every=1000), COHORT, "audit_finding",
                                min_audits=1, min_findings=2)
    assert few_findings.target == "drift_milestones"


def test_every_target_has_plain_words_and_unknown_targets_are_refused():
    for t in ("audit_finding", "drift_milestones", "revolving_door", "future_drift"):
        text = describe_target(t)
        assert text.startswith("whether") and "_" not in text
    assert describe_target("drift_milestone_count").startswith("how many") and \
        "_" not in describe_target("drift_milestone_count")
    with pytest.raises(ConfigError):
        build_labels(_store(), COHORT, "next_week")


def test_graded_target_keeps_the_0_1_label_and_adds_a_grade():
    ls = build_labels(_store(), COHORT, "drift_milestone_count")
    plain = build_labels(_store(), COHORT, "drift_milestones")
    assert ls.graded and not plain.graded and ls.target == "drift_milestone_count"
    assert ls.labels["label"].tolist() == plain.labels["label"].tolist()
    assert ((ls.labels["grade"] > 0) == (ls.labels["label"] == 1)).all()
    assert set(ls.labels["grade"]) <= {0.0, 0.5, 1.0}
