"""Issue 17: each rewritten computation against the reference it replaced, same inputs, CPU seconds.

    nice -n 10 .venv/bin/python benchmarks/bench_speed17.py [--rows 700000] [--children 20000] [--boot 50]

The references are the slow, obviously-correct versions the tests compare with (old code paths:
the metric table's per-replicate loop, sklearn's ``SimpleImputer``, numpy's per-column weighted
quantile, per-row date parsing and text cleaning, shap's TreeExplainer, the draw-by-draw
Monte-Carlo). Each line prints both CPU times (``time.process_time``: this process, both LightGBM
threads included) and whether the results are equal.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _cpu(fn):
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def _line(what: str, before: float, after: float, equal: str) -> None:
    print(f"{what:64s} before {before:7.2f}  after {after:7.2f} CPU s  ({before / max(after, 1e-9):5.1f}x)  {equal}")


def metric_table(children: int, boot: int) -> None:
    from driftflag.evaluation import MetricTable
    from driftflag.evaluation._bootstrap import resample_indices
    from driftflag.evaluation._table import METRICS, _all_metrics

    rng = np.random.default_rng(0)
    ids = np.array([f"C{i:06d}" for i in range(children)])
    frames = []
    for f, fold in enumerate(("2024-01", "2024-04", "2024-07")):
        for m in range(2):
            y = (rng.random(children) < 0.12).astype(int)
            base = pd.DataFrame({"fold": fold, "as_of": f"2024-{f * 3 + m + 1:02d}-01", "child_id": ids, "y_true": y})
            for model in ("rule_baseline", "logistic", "lightgbm"):
                s = rng.random(children) + y * 0.3
                frames.append(base.assign(model=model, score=np.round(s * 8) / 8 if model == "rule_baseline" else s))
    preds = pd.concat(frames, ignore_index=True)
    table, after = _cpu(lambda: MetricTable.from_predictions(preds, k=25, baseline="rule_baseline", n_boot=boot))

    def reference():
        lows = {}
        wide = preds.pivot_table(index=["fold", "as_of", "child_id"], columns="model", values="score")
        first = preds.drop_duplicates(["fold", "as_of", "child_id"]).set_index(["fold", "as_of", "child_id"]).loc[wide.index]
        for fold in (*sorted(preds["fold"].unique()), "pooled"):
            mask = np.ones(len(wide), bool) if fold == "pooled" else wide.index.get_level_values("fold") == fold
            y = first["y_true"].to_numpy(float)[mask]
            w = np.ones(len(y))
            lists = pd.factorize(pd.Series(wide.index.get_level_values("fold")[mask]).astype(str) + "|"
                                 + wide.index.get_level_values("as_of").astype(str)[mask])[0]
            cid = wide.index.get_level_values("child_id").astype(str).to_numpy()[mask]
            for m in wide.columns:
                s = wide[m].to_numpy(float)[mask]
                d = [_all_metrics(y[i], s[i], w[i], lists[i], cid[i], 25)["roc_auc"][0]
                     for i in resample_indices(y, cid, n_boot=boot, random_state=0)]
                lows[(m, fold)] = float(np.quantile(d, 0.025))
        return lows

    lows, before = _cpu(reference)
    diff = max(abs(table.value(m, "roc_auc", f, "low") - v) for (m, f), v in lows.items())
    _line(f"metric table, {len(preds):,} rows, {boot} replicates ({len(METRICS)} metrics)", before, after,
          f"largest AUC-low difference {diff:.1e}")


def models(rows: int) -> None:
    from sklearn.impute import SimpleImputer

    from driftflag.models._impute import MedianImputer
    from driftflag.models.baseline import RuleBaseline

    rng = np.random.default_rng(0)
    X = rng.integers(0, 400, (rows, 40)).astype(float)
    X[rng.random(X.shape) < 0.3] = np.nan
    y = (rng.random(rows) < 0.12).astype(int)
    a, before = _cpu(lambda: SimpleImputer(strategy="median", keep_empty_features=True).fit(X))
    b, after = _cpu(lambda: MedianImputer(strategy="median", keep_empty_features=True).fit(X))
    _line(f"median imputation fit, {rows:,} x 40, 30% missing", before, after,
          f"equal: {np.array_equal(a.statistics_, b.statistics_)}")
    Xi = b.transform(X)
    sys.path.insert(0, str(ROOT / "tests" / "models"))
    from test_model_speed_equal import _reference_fit

    for label, w in (("unit weights", np.ones(rows)), ("weights 0.5 and 1", rng.choice([0.5, 1.0], rows))):
        m, after = _cpu(lambda w=w: RuleBaseline().fit(Xi, y, sample_weight=w))
        ref, before = _cpu(lambda w=w, m=m: _reference_fit(m, Xi, y, w))
        same = np.array_equal(ref[0], m.thresholds_) and np.array_equal(ref[2], m.weights_)
        _line(f"rule baseline fit, {rows:,} x 40, {label}", before, after, f"equal: {same}")


def rules(rows: int) -> None:
    from driftflag.validate import rules as r

    rng = np.random.default_rng(0)
    days = pd.date_range("2016-04-01", "2026-03-31").strftime("%d/%m/%Y").to_numpy()
    s = pd.Series(rng.choice(days, rows), dtype="str")
    s[rng.random(rows) < 0.1] = None
    a, after = _cpu(lambda: r.parse_dates(s))
    b, before = _cpu(lambda: r._parse_dates_each(s))
    _line(f"parse_dates, {rows:,} texts, {len(days):,} distinct", before, after, f"equal: {a.equals(b)}")
    names = pd.Series(rng.choice([f" Team  {i}\xa0" for i in range(60)] + [""], rows), dtype="str")
    a, after = _cpu(lambda: r.clean_text(names))
    b, before = _cpu(lambda: r._clean_text_each(names))
    _line(f"clean_text, {rows:,} texts, 61 distinct", before, after, f"equal: {a.equals(b)}")


def worklist(children: int) -> None:
    from lightgbm import LGBMClassifier

    sys.path.insert(0, str(ROOT / "tests" / "worklist"))
    from worklist_helpers import make_caseload, policy

    from driftflag.worklist.explain import _normalise_shap, explain
    from driftflag.worklist.sampling import _build_design, month_start

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.integers(0, 50, (children, 38)).astype(float), columns=[f"f{i}" for i in range(38)])
    X[rng.random(X.shape) < 0.2] = np.nan
    y = (rng.random(children) < 0.15).astype(int)
    model = LGBMClassifier(n_estimators=200, num_leaves=15, max_depth=4, deterministic=True, force_row_wise=True,
                           n_jobs=2, verbose=-1).fit(X, y)

    def shap_values():
        import shap

        ex = shap.TreeExplainer(model.booster_, feature_perturbation="tree_path_dependent")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _normalise_shap(ex.shap_values(X), ex.expected_value, *X.shape)[0]

    ref, before = _cpu(shap_values)
    got, after = _cpu(lambda: explain(model, X))
    _line(f"explain {children:,} cases x 38 features (200 trees, depth 4)", before, after,
          f"largest difference {np.abs(got[X.columns].to_numpy() - ref).max():.1e}")
    cl = make_caseload(n=children, seed=1, teams=30, workers_per_team=25)
    pol = policy(size=40, caps={"per_team": 12, "per_worker": 2}, simulations=2000,
                 shares={"highest_risk": 0.35, "rule_flagged": 0.25, "random": 0.40})
    d = _build_design(cl, pol, month_start("2025-11"), None)
    pi, after = _cpu(lambda: d.simulated_probabilities(2000, 5))

    def draws():
        counts = np.zeros(len(d.caseload), dtype=np.int64)
        g = np.random.default_rng(5)
        for _ in range(2000):
            got_, _, _ = d.draw(g)
            counts[got_] += 1
        out = counts / 2000
        out[d.part != ""] = 1.0
        return out

    ref, before = _cpu(draws)
    _line(f"Monte-Carlo inclusion probabilities, {children:,} cases, 2,000 draws", before, after,
          f"equal: {np.array_equal(pi, ref)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=700_000, help="model matrix and text column rows")
    ap.add_argument("--children", type=int, default=20_000, help="cases per month / open caseload")
    ap.add_argument("--boot", type=int, default=50)
    ap.add_argument("--only", nargs="+", choices=("metric_table", "models", "rules", "worklist"))
    a = ap.parse_args()
    import logging

    logging.disable(logging.WARNING)
    for name, fn in (("metric_table", lambda: metric_table(a.children, a.boot)), ("models", lambda: models(a.rows)),
                     ("rules", lambda: rules(a.rows)), ("worklist", lambda: worklist(a.children))):
        if not a.only or name in a.only:
            fn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
