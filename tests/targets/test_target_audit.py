"""audit_finding: labels, selection reasons and inverse-probability weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftflag.casemodel.store import CaseStore
from driftflag.targets import AuditTargetConfig, audit_finding


def _store():
    rows = [
        ("A1", "C1", "2025-03-14", "Good", True, "random", 0.05),
        ("A2", "C2", "2025-03-02", "Inadequate", False, "targeted", 0.25),
        ("A3", "C3", "2025-04-30", "Requires improvement", False, "re-audit", None),
    ]
    df = pd.DataFrame(rows, columns=["audit_id", "child_id", "audit_date", "grade", "drift_found",
                                     "selection_reason", "inclusion_probability"])
    df["auditor"] = "PM01"
    return CaseStore.from_frames({"audits": df})


def test_drift_found_label_with_ipw_and_month_as_of():
    out = audit_finding(_store())
    assert out["audit_id"].tolist() == ["A2", "A1", "A3"]  # by audit date
    assert out["label"].tolist() == [0, 1, 0]
    assert out["as_of"].tolist() == [pd.Timestamp("2025-03-01")] * 2 + [pd.Timestamp("2025-04-01")]
    assert out["ipw"].iloc[:2].tolist() == pytest.approx([4.0, 20.0])
    assert np.isnan(out["ipw"].iloc[2])  # unknown probability is reported, not given weight 1


@pytest.mark.parametrize("positive, expected", [("inadequate", [1, 0, 0]), ("either", [1, 1, 0])])
def test_positive_definition_is_configurable(positive, expected):
    assert audit_finding(_store(), AuditTargetConfig(positive=positive))["label"].tolist() == expected


def test_selection_reason_filter():
    out = audit_finding(_store(), AuditTargetConfig(selection_reasons=("random",)))
    assert out["audit_id"].tolist() == ["A1"]
