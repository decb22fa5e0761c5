"""Training's memory cuts give the numbers the old computations gave, bit for bit (hypothesis).

References, kept here as first written: the labelled rows' model matrix was
``prepare_features(panel.merge(labels) sorted by as_of and child_id, ...)`` and every fit took
``X[mask]`` of it; the whole panel's matrix was ``prepare_features(panel, feats,
categories)[0].reindex(columns=X.columns)``; the rule baseline's cell sums were products over
every row at once.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftflag.models import baseline
from driftflag.models._matrix import EncodedRows
from driftflag.models.baseline import _cell_sums
from driftflag.models.encoding import FeatureEncoder
from driftflag.models.training import (
    _ROW,
    _Labelled,
    _labelled_encoder,
    _labelled_keys,
    prepare_features,
)

_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bits(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame, dtype=np.float64).view(np.uint64)


def _same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same columns, every value's bits, one float64 block and the array sklearn would read
    laid out the same way (a scaler's sums depend on the layout)."""
    assert list(got.columns) == list(want.columns)
    assert got.columns.dtype == want.columns.dtype
    assert (got.dtypes == np.float64).all() and got._mgr.nblocks == want._mgr.nblocks == 1
    np.testing.assert_array_equal(_bits(got), _bits(want))
    a, b = np.asarray(got), np.asarray(want)
    assert (a.flags["C_CONTIGUOUS"], a.flags["F_CONTIGUOUS"]) == (b.flags["C_CONTIGUOUS"], b.flags["F_CONTIGUOUS"])


_VALUES = {
    "flags": [0.0, 1.0, np.nan],
    "days": [0.0, 3.0, 400.0, 70_000.0, 1_234_567.0, np.nan],  # float16 cannot hold the larger
    "shares": [0.1, 1 / 3, 0.5, np.nan, 2.0 ** -30],
    "signed": [0.0, -0.0, 1.0, np.nan, -2.5],
    "huge": [1.7e308, -1.7e308, np.inf, -np.inf, 65504.0, 65520.0, np.nan],
}


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 50),
       kinds=st.lists(st.sampled_from(sorted(_VALUES)), min_size=1, max_size=6))
def test_encoded_rows_give_the_rows_of_the_float64_matrix(seed, n, kinds):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"c{j}={k}": rng.choice(_VALUES[k], n) for j, k in enumerate(kinds)})
    frame = pd.DataFrame(frame.to_dict("series"))  # one block, as the encoder makes it
    stored = EncodedRows(frame)
    assert stored.nbytes <= frame.memory_usage(index=False).sum()
    rows = np.flatnonzero(rng.random(n) < 0.6)
    _same_frame(stored.take(rows), frame.iloc[rows])
    _same_frame(stored.take(np.arange(n)), frame)
    row_major = stored.take_array(rows, order="C")
    assert row_major.flags["C_CONTIGUOUS"] and row_major.flags["WRITEABLE"]
    assert np.array_equal(row_major.view(np.uint64), _bits(frame.iloc[rows]))


def _panel(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])
    return pd.DataFrame({
        "child_id": pd.array([f"C{i:03d}" for i in rng.integers(0, 10 * n, n)], dtype="str"),
        "as_of": months[rng.integers(0, 3, n)],
        "service": pd.array(rng.choice(["CIN", "CP", "LAC", None], n), dtype="str"),
        "legal_status": pd.array(rng.choice(["C2", "V2", "E1", None], n), dtype="str"),
        "visit_overdue": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
        "placed": rng.random(n) < 0.3,
        "days": np.where(rng.random(n) < 0.4, np.nan, rng.integers(0, 900, n).astype(float)),
        "share": np.where(rng.random(n) < 0.5, np.nan, rng.random(n)),
        "count": rng.integers(0, 5, n),
    }).drop_duplicates(["child_id", "as_of"]).reset_index(drop=True)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60), labelled=st.sampled_from([0.3, 0.8, 1.0]),
       given_vocab=st.booleans())
def test_labelled_rows_are_the_merge_and_their_encoding(seed, n, labelled, given_vocab):
    """Keys, labels and model matrix of the labelled rows, the whole panel's matrix, the
    vocabularies (learnt from labelled rows only, given ones kept first) and the final
    encoder all equal those of the merged panel."""
    rng = np.random.default_rng(seed + 1)
    panel = _panel(seed, n)
    labels = panel[["child_id", "as_of"]].assign(label=rng.integers(0, 2, len(panel)), ipw=rng.random(len(panel)))
    labels = labels.sample(frac=labelled, random_state=seed)  # unlabelled rows, labels in another order
    feats = ["service", "visit_overdue", "placed", "days", "legal_status", "share", "count"]
    given_cats = {"legal_status": ["V2", "C2", "X9"]} if given_vocab else {}
    keep = ["child_id", "as_of", "label", "ipw"]

    old = panel.merge(labels[keep], on=["child_id", "as_of"], how="inner", validate="one_to_one")
    old = old.sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True)
    X_old, cats_old = prepare_features(old, feats, given_cats)
    X_all_old = prepare_features(panel, feats, cats_old)[0].reindex(columns=list(X_old.columns), fill_value=0.0)

    df = _labelled_keys(panel, labels[keep])
    pd.testing.assert_frame_equal(df[keep], old[keep], check_exact=True)
    enc, cats = _labelled_encoder(panel, df[_ROW].to_numpy(), feats, given_cats)
    assert cats == cats_old and list(cats) == list(cats_old)
    stored = EncodedRows(enc.transform(panel))
    X = _Labelled(stored, df[_ROW].to_numpy())
    assert list(X.columns) == list(X_old.columns)
    mask = rng.random(len(df)) < 0.5
    _same_frame(X[mask], X_old[mask])
    _same_frame(X[np.ones(len(df), bool)], X_old)
    on = rng.random(len(panel)) < 0.5
    _same_frame(stored.take(np.flatnonzero(on)), X_all_old[on])
    final_old, final = FeatureEncoder(feats, cats_old).fit(old), FeatureEncoder(feats, cats).fit(panel)
    assert (final.columns_, final.kinds_, final.categories_) == \
        (final_old.columns_, final_old.kinds_, final_old.categories_)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 80), f=st.integers(1, 4), block=st.integers(1, 9),
       wkind=st.sampled_from(["unit", "halves", "with_zeros"]))
def test_cell_sums_by_blocks_equal_the_sums_over_every_row(seed, n, f, block, wkind):
    """The rule baseline's 2x2 cells, summed a block of rows at a time, equal the products over
    every row (weights whose sums are exact, the only ones it is used for)."""
    rng = np.random.default_rng(seed)
    breach = rng.random((n, f)) < 0.3
    pos = rng.random(n) < 0.4
    w = {"unit": np.ones(n), "halves": rng.choice([0.5, 1.0], n),
         "with_zeros": rng.choice([0.0, 0.5, 1.0, 3.0], n)}[wkind]
    wp, wn = w[pos][:, None], w[~pos][:, None]
    bp, bn = breach[pos], breach[~pos]
    want = ((wp * bp).sum(0), (wn * bn).sum(0), (wp * ~bp).sum(0), (wn * ~bn).sum(0))
    with mock.patch.object(baseline, "_BLOCK_ROWS", block):
        got = _cell_sums(breach, pos, w)
    for g, ref in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, ref)


def _same_fitted(a, b) -> None:
    """Every attribute of two fitted estimators equal (arrays to the bit, with their dtype)."""
    assert type(a) is type(b) and sorted(vars(a)) == sorted(vars(b))
    for key, va in vars(a).items():
        vb = vars(b)[key]
        if isinstance(va, np.ndarray):
            assert va.dtype == vb.dtype and va.shape == vb.shape, key
            np.testing.assert_array_equal(va, vb, err_msg=key)
        elif isinstance(va, float) and np.isnan(va):
            assert isinstance(vb, float) and np.isnan(vb), key
        else:
            assert va == vb or (va is None and vb is None), key


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(20, 80), spec_name=st.sampled_from(["rule_baseline", "logistic_scorecard"]),
       weighted=st.booleans(), made=st.booleans())
def test_fit_in_place_fits_the_pipeline_a_frame_fits(seed, n, spec_name, weighted, made):
    """The imputer and scaler working in the caller's array (given, or ``made`` by a function:
    the scorecard's model then fits on the rows made again row-major) give the pipeline
    ``pipe.fit`` on the frame gives: every fitted attribute of every step and of the pipeline,
    feature names and scores; ``copy`` is back on and the frame's own numbers are untouched."""
    from pathlib import Path

    from driftflag.models import load_specs
    from driftflag.models._build import build, fit_in_place

    rng = np.random.default_rng(seed)
    cols = ["days", "flag", "share", "count", "empty"]
    X = pd.DataFrame({
        "days": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 900, n).astype(float)),
        "flag": rng.choice([0.0, 1.0, np.nan], n),
        "share": np.where(rng.random(n) < 0.5, np.nan, rng.normal(0, 3, n)),
        "count": rng.integers(0, 5, n).astype(float),
        "empty": np.full(n, np.nan),
    })
    y = (rng.random(n) < 0.4).astype(int)
    y[:2] = [0, 1]
    kw = {"model__sample_weight": rng.choice([0.5, 1.0, 2.25], n)} if weighted else {}
    spec = load_specs(Path(__file__).resolve().parents[2] / "models", [spec_name])[0]
    polarity = {"share": "higher_is_better"}
    before = X.copy()
    ref = build(spec, cols, polarity).fit(X, y, **kw)
    arr = np.asarray(X).copy(order="F")
    pipe, seen = build(spec, cols, polarity), []
    model_fit = type(pipe.steps[-1][1]).fit

    def spying(self, Xm, *a, **k):
        seen.append((Xm.flags["C_CONTIGUOUS"], Xm.flags["F_CONTIGUOUS"]))
        return model_fit(self, Xm, *a, **k)

    with mock.patch.object(type(pipe.steps[-1][1]), "fit", spying):
        got = fit_in_place(pipe, (lambda order: np.asarray(X).copy(order=order)) if made else arr,
                           X.columns, y, **kw)
    row_major = made and spec_name == "logistic_scorecard"
    assert seen == [(True, False) if row_major else (False, True)]
    pd.testing.assert_frame_equal(X, before, check_exact=True)
    assert vars(got).keys() == vars(ref).keys()
    assert [n for n, _ in got.steps] == [n for n, _ in ref.steps]
    for (_, a), (_, b) in zip(got.steps, ref.steps, strict=True):
        _same_fitted(a, b)
    assert got.get_params(deep=True).keys() == ref.get_params(deep=True).keys()
    assert all(got.steps[i][1].copy is True for i in range(len(got.steps) - 1))
    np.testing.assert_array_equal(got.feature_names_in_, ref.feature_names_in_)
    np.testing.assert_array_equal(got.predict_proba(X), ref.predict_proba(X))


class _StopAfterCheck(Exception):
    pass


def test_the_train_stage_lets_the_store_go_before_the_fits(synthetic_la, tmp_path, monkeypatch):
    """``run_training`` reads the store for the panel and labels only: by the time
    ``train_models`` runs nothing holds it (0.9 GB at 400,000 children otherwise)."""
    import gc
    import weakref
    from datetime import datetime
    from pathlib import Path

    from driftflag.casemodel import store as store_module
    from driftflag.casemodel import write_store
    from driftflag.models import training
    from driftflag.models.training import TrainConfig
    from driftflag.stages._train import run_training

    path = tmp_path / "store"
    write_store(synthetic_la(children=500, years=3, seed=3).store, path, created_at=datetime(2026, 3, 31))
    read, held = store_module.read_store, []

    def reading(*a, **kw):
        cs = read(*a, **kw)
        held.append(weakref.ref(cs))
        return cs

    def training_models(*a, **kw):
        gc.collect()
        assert held and all(ref() is None for ref in held), "the store is still held during the fits"
        raise _StopAfterCheck

    monkeypatch.setattr(store_module, "read_store", reading)
    monkeypatch.setattr(training, "train_models", training_models)
    cfg = TrainConfig.model_validate({
        "target": "future_drift", "horizon_months": 6, "models": ["rule_baseline"], "n_boot": 10,
        "temporal": {"feature_start": "2024-04-01", "feature_end": "2026-03-31", "label_timespan_months": 6}})
    root = Path(__file__).resolve().parents[2]
    with pytest.raises(_StopAfterCheck):
        run_training(path, cfg, models_dir=root / "models", workspace=tmp_path / "ws")
