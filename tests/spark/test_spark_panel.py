"""The Spark engine's pooled panel equals the pandas engine's, row for row and value for value."""

from __future__ import annotations

import pandas as pd
import pytest
from spark_helpers import pandas_pool_panel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both_panels(pool, pool_panel):
    """(Spark, pandas) panels of the pool, 2025-01 to 2025-12."""
    return pool_panel[1], pandas_pool_panel(pool, "2025-01-01", "2025-12-01")


def test_spark_panel_equals_pandas_panel(both_panels):
    got, expected = both_panels
    assert len(expected) > 2000 and expected["la_code"].nunique() == 3
    pd.testing.assert_frame_equal(got, expected)


def test_columns_computed_across_children_are_whole_store(both_panels):
    """team_caseload and visit_overdue read every child of a council (its teams, its visits):
    each partition sees only some, so these are the columns a naive split gets wrong."""
    got, expected = both_panels
    assert expected["team_caseload"].notna().mean() > 0.5
    assert expected["team_caseload"].nunique() > 5
    assert expected["visit_overdue"].notna().any()
    pd.testing.assert_series_equal(got["team_caseload"], expected["team_caseload"])
    pd.testing.assert_series_equal(got["visit_overdue"], expected["visit_overdue"])


def test_child_ids_are_unique_per_council_not_across_the_pool(both_panels):
    got, _ = both_panels
    per_month = got.groupby(["la_code", "as_of"])["child_id"]
    assert per_month.apply(lambda s: s.is_unique).all()
    # the synthetic councils reuse ids: only (la_code, child_id) names a child in a pool
    ids = got.groupby("child_id")["la_code"].nunique()
    assert (ids > 1).any()


def test_stores_without_an_la_code_are_refused_in_one_line(pool):
    from driftflag.errors import ConfigError
    from driftflag.spark import pool_stores

    paths = [s.path for s in pool]
    with pytest.raises(ConfigError, match="no LA code"):
        pool_stores(paths)  # only the second store's manifest names its council
    with pytest.raises(ConfigError, match="names two stores"):
        pool_stores(paths, la_codes=["201", "202", "201"])
    with pytest.raises(ConfigError, match="manifest says 202"):
        pool_stores(paths, la_codes=["201", "209", "203"])
    assert [s.la_code for s in pool_stores(paths[1:2])] == ["202"]


def test_store_built_from_the_returns_no_roster_and_visits_known_late(spark, pool, tmp_path):
    """A store built from the returns lists no staff (team caseload then divides by the distinct
    workers holding the team's open cases) and knows some visits only from a later Annex A
    extract (whether visits are known reads the first such visit in the store): both are
    computed across every partition of the council."""
    from datetime import datetime

    from driftflag.casemodel import CaseStore, read_store, write_store
    from driftflag.spark import pool_stores
    from driftflag.spark.panel import panel_to_pandas, spark_panel

    cs = read_store(pool[2].path)
    tables = dict(cs.tables)
    tables["workers"] = tables["workers"].iloc[0:0]
    visits = tables["visits"].copy()
    late = visits.index % 5 == 0  # every fifth visit known only 40 days after it took place
    visits.loc[late, "known_from"] = visits.loc[late, "visit_date"] + pd.Timedelta(days=40)
    tables["visits"] = visits
    path = write_store(CaseStore(tables=tables), tmp_path / "no-roster", created_at=datetime(2026, 3, 31))
    one = pool_stores([path], la_codes=["203"])
    got = panel_to_pandas(spark_panel(spark, one, "2025-10", "2025-11", children_per_partition=60))
    expected = pandas_pool_panel(one, "2025-10-01", "2025-11-01")
    assert expected["team_caseload"].notna().any()
    assert expected["visit_overdue"].notna().any() and expected["visit_overdue"].isna().any()
    pd.testing.assert_frame_equal(got, expected)
