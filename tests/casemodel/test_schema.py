"""Canonical schema: keys, code-list names, conform() and Table.empty()."""

from __future__ import annotations

import pandas as pd
import pytest

from driftflag.casemodel import codes
from driftflag.casemodel.schema import TABLE_ORDER, TABLES, conform

PROTECTED = ("sex", "ethnicity", "disability", "disability_codes", "uasc", "uasc_ceased_date")
RETURN_KEYS = {"903", "CIN", "AnnexA"}


def test_table_order_lists_every_table_once():
    assert list(TABLE_ORDER) == list(TABLES)
    assert len(set(TABLE_ORDER)) == len(TABLE_ORDER)
    assert "children" in TABLES


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_table_is_well_formed(name):
    table = TABLES[name]
    assert table.name == name
    assert len(set(table.column_names)) == len(table.column_names), "duplicate column"
    assert table.key, "no primary key"
    for k in table.key:
        assert k in table.column_names, f"key column {k} is not a column"
        assert table.column(k).required, f"key column {k} is not required"


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_columns_name_real_code_lists_and_returns(name):
    for col in TABLES[name].columns:
        if col.codes is not None:
            values = getattr(codes, col.codes, None)
            assert values, f"{name}.{col.name}: no code list {col.codes} in codes.py"
            assert all(isinstance(v, str) for v in values)
        assert set(col.returns) <= RETURN_KEYS, f"{name}.{col.name}: {set(col.returns)}"


def test_every_child_table_joins_on_child_id():
    for name in TABLE_ORDER:
        if name == "workers":
            continue
        assert TABLES[name].column("child_id").required, name


def test_protected_characteristics_only_in_children():
    for name in TABLE_ORDER:
        cols = set(TABLES[name].column_names)
        if name == "children":
            assert set(PROTECTED) <= cols
        else:
            assert not cols & set(PROTECTED), f"{name} carries a protected characteristic"


def test_column_lookup_unknown_raises_keyerror():
    with pytest.raises(KeyError):
        TABLES["children"].column("no_such_column")


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_empty_has_columns_and_dtypes(name):
    table = TABLES[name]
    df = table.empty()
    assert len(df) == 0
    assert list(df.columns) == table.column_names
    assert {c: str(t) for c, t in df.dtypes.items()} == {c.name: c.dtype for c in table.columns}


def test_conform_adds_missing_drops_unknown_and_casts():
    table = TABLES["cp_plans"]
    raw = pd.DataFrame(
        {
            "unknown_column": ["x", "y"],
            "start_date": ["2024-05-01", "2024-06-15"],
            "child_id": [101, 102],  # numbers become strings
            "cp_plan_id": ["p1", "p2"],
            "number_of_previous_cpp": [0.0, None],
        },
        index=[7, 3],
    )
    out = conform(raw, table)
    assert list(out.columns) == table.column_names
    assert "unknown_column" not in out
    assert {c: str(t) for c, t in out.dtypes.items()} == {c.name: c.dtype for c in table.columns}
    assert list(out.index) == [0, 1]
    assert out["child_id"].tolist() == ["101", "102"]
    assert out["start_date"].tolist() == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-15")]
    assert out["number_of_previous_cpp"].iloc[0] == 0
    assert out["number_of_previous_cpp"].isna().iloc[1]
    assert out["end_date"].isna().all()  # missing optional date column: all NaT
    assert out["initial_category"].isna().all()


def test_conform_casts_every_kind():
    raw = pd.DataFrame(
        {
            "episode_id": ["e1"],
            "child_id": ["c1"],
            "decom": [pd.Timestamp("2024-01-02")],
            "rne": ["S"],
            "ls": ["C1"],
            "place": ["U1"],
            "pl_distance": [3],
            "placement_in_la": [True],
        }
    )
    out = conform(raw, TABLES["lac_episodes"])
    assert out["pl_distance"].dtype == "float64"
    assert out["placement_in_la"].dtype == "boolean"
    assert out["decom"].dtype == "datetime64[ns]"
    assert out["dec"].dtype == "datetime64[ns]"
    assert out["rne"].dtype == "string"


def test_conform_is_idempotent():
    table = TABLES["children"]
    raw = pd.DataFrame(
        {"child_id": ["a"], "sex": ["F"], "date_of_birth": ["2015-02-03"], "disability": [False]}
    )
    once = conform(raw, table)
    pd.testing.assert_frame_equal(conform(once, table), once)


def test_conform_is_strict():
    raw = pd.DataFrame({"cp_plan_id": ["p1"], "child_id": ["c"], "start_date": ["2024-01-01"],
                        "number_of_previous_cpp": ["two"]})
    with pytest.raises((ValueError, TypeError)):
        conform(raw, TABLES["cp_plans"])
