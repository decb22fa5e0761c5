"""The fast snapshot equals the slow per-child reference, indicator by indicator.

``reference.py`` computes each indicator for one child at a time with a plain loop over that
child's records. Hypothesis draws (a) small untidy stores with dates clustered around awkward
days (29 February, bank holidays, month ends) and (b) small synthetic LAs from the stage-1
simulator with random seeds and as-of dates; the two implementations must agree on every row and
every column.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftflag.indicators import load_registry, panel, snapshot
from driftflag.indicators._snapshot import Prepared

from .compare import mismatches
from .reference import Reference
from .stores import as_of_for, random_store, synth_store

REG = load_registry()
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                       HealthCheck.large_base_example])


def _check(store, as_of: date, registry=REG) -> None:
    fast = snapshot(store, as_of, registry=registry)
    ref = Reference(store, registry).snapshot(as_of)
    bad = mismatches(fast, ref, registry)
    assert not bad, f"as_of {as_of}: indicators that differ (child, fast, reference): {bad}"


@settings(max_examples=100, **_SETTINGS)
@given(data=st.data())
def test_fast_equals_reference_on_random_stores(data):
    store, anchor = data.draw(random_store())
    _check(store, data.draw(as_of_for(store, anchor)))


@settings(max_examples=25, **_SETTINGS)
@given(seed=st.integers(0, 7), offset=st.integers(0, 3 * 365 - 1))
def test_fast_equals_reference_on_small_synthetic_las(seed, offset):
    store = synth_store(seed)  # 80 children over 3 collection years ending 31 March 2026
    _check(store, date(2023, 4, 1) + timedelta(days=offset))


_OVERRIDE = """
version: "strict council"
indicators:
  cp_plan_over_18m: {thresholds: {months: 15}}
  cp_review_overdue: {thresholds: {first_review_months: 2, review_interval_months: 4}}
  visit_overdue: {thresholds: {cp_working_days: 5, cin_working_days: 10, lac_days: 28}}
  cp_long_plan_without_progress: {thresholds: {months: 12, visit_gap_working_days: 8, missing_window_days: 30, worker_changes: 1}}
  rereferral_12m: {thresholds: {months: 6}}
  assessment_over_45wd: {thresholds: {working_days: 20}}
  s47_to_icpc_over_15wd: {thresholds: {working_days: 10}}
  missing_days_90d: {thresholds: {window_days: 30}}
  rhi_offered_share: {thresholds: {grace_days: 0, window_days: 60}}
  plo_over_16w: {thresholds: {weeks: 8}}
  placements_3plus_12m: {thresholds: {placements: 2}}
  lac_review_overdue: {thresholds: {first_review_working_days: 10, second_review_months: 2, review_interval_months: 3}}
  cp_repeat_within_2y: {thresholds: {months: 36}}
"""


@pytest.fixture(scope="module")
def strict_registry(tmp_path_factory):
    f = tmp_path_factory.mktemp("override") / "strict.yaml"
    f.write_text(_OVERRIDE)
    return load_registry(f)


@settings(max_examples=40, **_SETTINGS)
@given(data=st.data())
def test_fast_equals_reference_with_council_thresholds(strict_registry, data):
    store, anchor = data.draw(random_store())
    _check(store, data.draw(as_of_for(store, anchor)), strict_registry)


@settings(max_examples=40, **_SETTINGS)
@given(data=st.data())
def test_many_dates_in_one_pass_equal_the_reference(data):
    """A panel computes every as-of date in one vectorised pass: each date must still equal the
    reference snapshot of that date."""
    store, anchor = data.draw(random_store())
    dates = sorted({data.draw(as_of_for(store, anchor)) for _ in range(data.draw(st.integers(2, 5)))})
    frame = Prepared.from_store(store, REG).frame(dates)
    ref = Reference(store, REG)
    assert list(frame["as_of"].drop_duplicates()) == [pd.Timestamp(d) for d in dates
                                                      if (frame["as_of"] == pd.Timestamp(d)).any()]
    for d in dates:
        fast = frame[frame["as_of"] == pd.Timestamp(d)].reset_index(drop=True)
        bad = mismatches(fast, ref.snapshot(d), REG)
        assert not bad, f"as_of {d} of {dates}: indicators that differ: {bad}"


# A fixed sample, so that each indicator shows up as its own test result.
_SAMPLE = [(seed, d) for seed in (11, 12) for d in (date(2024, 2, 29), date(2025, 3, 31), date(2025, 12, 25))]


@pytest.fixture(scope="module")
def pairs():
    out = []
    for seed, d in _SAMPLE:
        store = synth_store(seed, children=150)
        out.append((seed, d, snapshot(store, d, registry=REG), Reference(store, REG).snapshot(d)))
    return out


def test_sample_is_not_trivial(pairs):
    total = sum(len(f) for _, _, f, _ in pairs)
    services = pd.concat([f["service"] for _, _, f, _ in pairs]).value_counts()
    assert total > 150 and set(services.index) == {"CIN", "CP", "LAC", "CL"}


@pytest.mark.parametrize("column", ["service", "team", "worker_id"] + [i.column for i in REG])
def test_indicator_matches_reference(pairs, column):
    for seed, d, fast, ref in pairs:
        bad = mismatches(fast, ref, REG).get(column)
        assert not bad, f"seed {seed}, as_of {d}: {column} differs (child, fast, reference): {bad}"


def test_panel_rows_equal_snapshots():
    store = synth_store(3)
    p = panel(store, "2025-01-01", "2025-04-01")
    for d in pd.date_range("2025-01-01", "2025-04-01", freq="MS"):
        month = p[p["as_of"] == d].reset_index(drop=True)
        pd.testing.assert_frame_equal(month, snapshot(store, d))
