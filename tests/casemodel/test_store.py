"""Case store: round trip, manifest, byte-identical writes, atomic failure, read errors."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from driftflag.casemodel import store as store_mod
from driftflag.casemodel.schema import SCHEMA_VERSION, TABLE_ORDER, TABLES
from driftflag.casemodel.store import MANIFEST, CaseStore, read_store, write_store
from driftflag.errors import StoreError

CREATED = datetime(2025, 3, 31, 18, 0, 0)
SOURCES = [{"path": "ssda903_episodes.csv", "sha256": "0" * 64}]


def _frames() -> dict[str, pd.DataFrame]:
    return {
        "children": pd.DataFrame(
            {
                "child_id": ["c1", "c2", "c3"],
                "sex": ["M", "F", "U"],
                "date_of_birth": ["2012-01-02", "2016-07-08", "2025-05-01"],
                "ethnicity": ["WBRI", "CHNE", None],
                "disability": [True, False, None],
                "uasc": [False, True, None],
            }
        ),
        "cp_plans": pd.DataFrame(
            {
                "cp_plan_id": ["p1", "p2"],
                "child_id": ["c1", "c2"],
                "start_date": ["2023-04-03", "2024-11-20"],
                "end_date": ["2024-06-01", None],
                "initial_category": ["NEG", "EMO"],
                "number_of_previous_cpp": [0, 2],
            }
        ),
        "lac_episodes": pd.DataFrame(
            {
                "episode_id": ["e1", "e2"],
                "child_id": ["c2", "c2"],
                "decom": ["2024-01-05", "2024-03-01"],
                "rne": ["S", "P"],
                "ls": ["C1", "C1"],
                "place": ["U4", "K2"],
                "dec": ["2024-03-01", None],
                "rec": ["X1", None],
                "pl_distance": [2.5, None],
            }
        ),
    }


@pytest.fixture
def case_store() -> CaseStore:
    return CaseStore.from_frames(_frames())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_from_frames_fills_absent_tables(case_store):
    assert list(case_store.tables) == list(TABLE_ORDER)
    assert len(case_store["referrals"]) == 0
    assert case_store.row_counts()["children"] == 3


def test_from_frames_rejects_unknown_table():
    with pytest.raises(StoreError, match="no_such_table"):
        CaseStore.from_frames({"no_such_table": pd.DataFrame()})


def test_round_trip(tmp_path, case_store):
    dest = tmp_path / "store"
    assert write_store(case_store, dest, created_at=CREATED, sources=SOURCES) == dest
    back = read_store(dest)
    assert list(back.tables) == list(TABLE_ORDER)
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(back[name], case_store[name], obj=name)


def test_read_subset_of_tables(tmp_path, case_store):
    write_store(case_store, tmp_path / "s", created_at=CREATED)
    back = read_store(tmp_path / "s", tables=["children"])
    assert list(back.tables) == ["children"]
    pd.testing.assert_frame_equal(back["children"], case_store["children"])


def test_manifest(tmp_path, case_store):
    dest = tmp_path / "store"
    write_store(case_store, dest, created_at=CREATED, sources=SOURCES, extra={"seed": 1})
    manifest = json.loads((dest / MANIFEST).read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["created_at"] == "2025-03-31T18:00:00"
    assert manifest["row_counts"] == case_store.row_counts()
    assert manifest["row_counts"]["cp_plans"] == 2
    assert manifest["sources"] == SOURCES
    assert manifest["seed"] == 1
    assert read_store(dest).manifest == manifest
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [".driftflag-store", MANIFEST, *(f"{n}.parquet" for n in TABLE_ORDER)]
    )


def test_same_inputs_give_identical_bytes(tmp_path, case_store):
    write_store(case_store, tmp_path / "a", created_at=CREATED, sources=SOURCES)
    write_store(case_store, tmp_path / "b", created_at=CREATED, sources=SOURCES)
    first = _snapshot(tmp_path / "a")
    assert _snapshot(tmp_path / "b") == first
    # Overwriting a store in place gives the same bytes again.
    write_store(case_store, tmp_path / "a", created_at=CREATED, sources=SOURCES)
    assert _snapshot(tmp_path / "a") == first


def test_failed_write_leaves_existing_store_untouched(tmp_path, case_store, monkeypatch):
    dest = tmp_path / "store"
    write_store(case_store, dest, created_at=CREATED, sources=SOURCES)
    before = _snapshot(dest)

    real = store_mod._write_parquet
    calls = []

    def failing(df, path):
        calls.append(path.name)
        if len(calls) == 3:
            raise OSError("disk full")
        real(df, path)

    monkeypatch.setattr(store_mod, "_write_parquet", failing)
    bigger = CaseStore.from_frames({"children": _frames()["children"].iloc[:1]})
    with pytest.raises(OSError, match="disk full"):
        write_store(bigger, dest, created_at=datetime(2026, 1, 1), sources=[])

    assert len(calls) == 3
    assert _snapshot(dest) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"], "temporary folder left behind"


def test_failed_first_write_creates_nothing(tmp_path, case_store, monkeypatch):
    def failing(df, path):
        raise OSError("disk full")

    monkeypatch.setattr(store_mod, "_write_parquet", failing)
    with pytest.raises(OSError):
        write_store(case_store, tmp_path / "store", created_at=CREATED)
    assert list(tmp_path.iterdir()) == []


def test_read_without_manifest(tmp_path):
    folder = tmp_path / "not_a_store"
    folder.mkdir()
    with pytest.raises(StoreError, match="no manifest.json") as e:
        read_store(folder)
    assert str(folder) in str(e.value)


def test_read_missing_folder(tmp_path):
    folder = tmp_path / "absent"
    with pytest.raises(StoreError) as e:
        read_store(folder)
    assert str(folder) in str(e.value)


def test_read_incompatible_major_version(tmp_path, case_store):
    dest = tmp_path / "store"
    write_store(case_store, dest, created_at=CREATED)
    major = int(SCHEMA_VERSION.split(".")[0])
    manifest = json.loads((dest / MANIFEST).read_text())
    manifest["schema_version"] = f"{major + 1}.0.0"
    (dest / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match="not compatible") as e:
        read_store(dest)
    assert str(dest) in str(e.value)


def test_read_compatible_minor_version(tmp_path, case_store):
    dest = tmp_path / "store"
    write_store(case_store, dest, created_at=CREATED)
    manifest = json.loads((dest / MANIFEST).read_text())
    manifest["schema_version"] = SCHEMA_VERSION.split(".")[0] + ".99.0"
    (dest / MANIFEST).write_text(json.dumps(manifest))
    assert len(read_store(dest)["children"]) == 3


def test_read_invalid_manifest_json(tmp_path, case_store):
    dest = tmp_path / "store"
    write_store(case_store, dest, created_at=CREATED)
    (dest / MANIFEST).write_text("{not json")
    with pytest.raises(StoreError, match="not valid JSON") as e:
        read_store(dest)
    assert str(dest) in str(e.value)


def test_read_missing_table(tmp_path, case_store):
    dest = tmp_path / "store"
    write_store(case_store, dest, created_at=CREATED)
    (dest / "visits.parquet").unlink()
    with pytest.raises(StoreError, match="visits") as e:
        read_store(dest)
    assert str(dest) in str(e.value)


def test_store_written_before_schema_1_2_reads_the_new_tables_empty(tmp_path, case_store):
    """A 1.1 store has no sw_episodes.parquet (nor the other 903 tables added in 1.2): they read
    empty, while a table of 1.1 that is missing is still an error."""
    write_store(case_store, tmp_path / "s", created_at=CREATED)
    for name in ("sw_episodes", "care_leavers", "previous_permanence"):
        (tmp_path / "s" / f"{name}.parquet").unlink()
    back = read_store(tmp_path / "s")
    assert back["sw_episodes"].empty and list(back["care_leavers"].columns) == TABLES["care_leavers"].column_names
    (tmp_path / "s" / "lac_reviews.parquet").unlink()
    with pytest.raises(StoreError, match="lac_reviews"):
        read_store(tmp_path / "s")
