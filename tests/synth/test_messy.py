"""Messy-fault injection: the ledger points at exactly the faulty cell in the written files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftflag.casemodel import CaseStore
from driftflag.synth.messy import FAULTS, LEDGER_COLUMNS, TOLERABLE, MessyInjector
from driftflag.synth.writers import (
    write_annex_a,
    write_audit_log,
    write_cin_census,
    write_ssda903,
)

from .data_for_test import replicate_frames, small_store
from .readback import check_ledger_row, clear_caches, read_903

YEARS = [2024, 2025, 2026]


def write_all(store, out: Path, faults) -> list[Path]:
    return [
        *write_ssda903(store, out, YEARS, faults=faults),
        *write_cin_census(store, out, YEARS, faults=faults),
        write_annex_a(store, out, "2026-03-31", faults=faults),
        write_audit_log(store, out, faults=faults),
    ]


@pytest.fixture(scope="module")
def big_store() -> CaseStore:
    return CaseStore.from_frames(replicate_frames(25))


@pytest.fixture(scope="module")
def messy_la(big_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("messy")
    inj = MessyInjector(0.3, np.random.default_rng(2024))
    write_all(big_store, out, inj)
    clear_caches()
    return out, inj.ledger()


def test_ledger_shape_and_kinds(messy_la):
    _, ledger = messy_la
    assert tuple(ledger.columns) == LEDGER_COLUMNS
    assert set(ledger["fault"]) == set(FAULTS)  # every kind occurs at this rate and size
    assert {"whitespace", "header_variant", "label_variant"} == TOLERABLE
    files = set(ledger["file"])
    assert any(f.endswith(".xml") for f in files) and any(f.endswith(".csv") for f in files)
    assert {"annex_a/annex_a_2026-03-31.xlsx", "audits/qa_audit_log.xlsx"} <= files
    xml = ledger[ledger["file"].str.endswith(".xml")]
    assert (xml["fault"] == "duplicate_row").any()
    assert xml["row"].str.startswith("/Message/Children/Child[").all()


def test_every_ledger_row_points_at_the_faulty_cell(messy_la):
    out, ledger = messy_la
    for e in ledger.to_dict("records"):
        check_ledger_row(out, e)


def test_injected_values_differ_from_originals(messy_la):
    _, ledger = messy_la
    cells = ledger[ledger["fault"] != "duplicate_row"]
    assert (cells["original_value"] != cells["injected_value"]).all()
    assert (ledger.loc[ledger["fault"] == "blank_id", "injected_value"] == "").all()


def test_faults_are_the_only_differences_in_903(messy_la, big_store, tmp_path):
    """Remove the ledgered faults from the messy 903 files and you get the clean files back."""
    out, ledger = messy_la
    write_ssda903(big_store, tmp_path, YEARS)
    led = ledger[ledger["file"].str.startswith("ssda903/")]
    for clean_path in sorted((tmp_path / "ssda903").rglob("*.csv")):
        rel = clean_path.relative_to(tmp_path).as_posix()
        clean = read_903(clean_path)
        messy = read_903(out / rel)
        mine = led[led["file"] == rel]
        dups = sorted(int(r) for r in mine.loc[mine["fault"] == "duplicate_row", "row"])
        messy = messy.drop(index=[r - 1 for r in dups])
        undo = mine[~mine["fault"].isin(["duplicate_row", "header_variant"])]
        messy.columns = clean.columns
        pos = {}
        kept = [i for i in range(len(messy) + len(dups)) if i + 1 not in set(dups)]
        for new, old in enumerate(kept):
            pos[old + 1] = new
        messy = messy.reset_index(drop=True)
        for e in undo.to_dict("records"):
            i = pos[int(e["row"])]
            j = list(clean.columns).index(e["column"])
            messy.iat[i, j] = e["original_value"]
            if e["fault"] == "swapped_dates":
                end = {"DECOM": "DEC", "MIS_START": "MIS_END"}[e["column"]]
                messy.iat[i, list(clean.columns).index(end)] = e["injected_value"]
        assert messy.equals(clean), rel


def test_rate_zero_is_the_clean_writer(tmp_path):
    store = small_store()
    inj = MessyInjector(0.0, np.random.default_rng(1))
    clean = write_all(store, tmp_path / "clean", None)
    messy = write_all(store, tmp_path / "zero", inj)
    assert inj.ledger().empty and tuple(inj.ledger().columns) == LEDGER_COLUMNS
    for a, b in zip(clean, messy, strict=True):
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_rate_must_be_a_probability():
    with pytest.raises(ValueError, match="rate must be between 0 and 1"):
        MessyInjector(1.5, np.random.default_rng(0))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.floats(0.01, 0.6), seed=st.integers(0, 2**32 - 1))
def test_ledger_exact_for_any_rate_and_seed(tmp_path_factory, rate, seed):
    out = tmp_path_factory.mktemp("hyp")
    store = small_store()
    inj = MessyInjector(rate, np.random.default_rng(seed))
    write_ssda903(store, out, YEARS, faults=inj)
    write_cin_census(store, out, YEARS, faults=inj)
    write_annex_a(store, out, "2026-03-31", faults=inj)
    clear_caches()
    for e in inj.ledger().to_dict("records"):
        check_ledger_row(out, e)
