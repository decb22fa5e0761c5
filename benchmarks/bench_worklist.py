"""Benchmark: score and explain the whole open caseload of the benchmark LA and write the worklist.

Target (issue 6): within 20 s on 2 cores. Generates the benchmark LA (150,000 children, 10 years,
seed 1) in memory, trains LightGBM with the hyperparameters of ``models/lightgbm.yaml`` (200
trees, 15 leaves, depth 4) on one month's snapshot (not timed: training is stage 4's job), then times: snapshot + scoring + TreeSHAP explanation of every open case, sampling with
the monthly policy (including the Monte-Carlo inclusion probabilities), and writing the workbook,
CSV, HTML and pseudonymised copy.

    .venv/bin/python benchmarks/bench_worklist.py [--children 150000 --years 10 --month 2025-11]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=150_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--month", default="2025-11")
    ap.add_argument("--policy", default=str(Path(__file__).resolve().parents[1] / "pipelines" / "monthly_audit.yaml"))
    args = ap.parse_args()

    from lightgbm import LGBMClassifier
    from sklearn.pipeline import Pipeline

    from driftflag.indicators import load_registry
    from driftflag.synth import SynthConfig, generate
    from driftflag.worklist import WorklistPolicy, sample_worklist
    from driftflag.worklist.caseload import build_caseload, model_matrix, score_caseload

    t0 = time.perf_counter()
    res = generate(SynthConfig(children=args.children, years=args.years, seed=1))
    store = res.store
    print(f"generate LA: {time.perf_counter() - t0:.1f} s (not part of the target)")

    reg = load_registry()
    train_cl = build_caseload(store, "2025-05")
    feats = [f for f in reg.model_features()
             if train_cl[f].dtype.kind in "fi" or str(train_cl[f].dtype) == "boolean"]
    X = model_matrix(train_cl, feats)
    dm = res.truth["drift_monthly"]
    p = train_cl["child_id"].map(dm[dm["as_of"] == "2025-05-01"].set_index("child_id")["p_drift"]).fillna(0.1)
    y = (np.random.default_rng(0).random(len(X)) < p.to_numpy()).astype(int)
    from driftflag.models import load_specs

    hp = dict(load_specs(Path(__file__).resolve().parents[1] / "models", ["lightgbm"])[0].hyperparameters)
    model = Pipeline([("model", LGBMClassifier(**hp, deterministic=True, force_row_wise=True, n_jobs=2,
                                               verbose=-1))]).fit(X, y)
    print(f"train (not timed): {len(X)} cases, {X.shape[1]} features")

    policy = WorklistPolicy.from_yaml(args.policy)
    steps: dict[str, float] = {}
    start = time.perf_counter()
    t = time.perf_counter()
    caseload = build_caseload(store, args.month)
    steps["snapshot"] = time.perf_counter() - t
    t = time.perf_counter()
    scored, contrib = score_caseload(store, args.month, model, caseload=caseload)
    steps["score + explain (TreeSHAP)"] = time.perf_counter() - t
    t = time.perf_counter()
    wl = sample_worklist(scored, policy, args.month, store["audits"], contributions=contrib,
                         registry=reg, model_label="benchmark LightGBM")
    steps["sample + inclusion probabilities"] = time.perf_counter() - t
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        wl.write(Path(tmp) / "wl", pseudonym_key=b"benchmark-key-0123456789")
    steps["write xlsx/csv/html/shared"] = time.perf_counter() - t
    total = time.perf_counter() - start
    for k, v in steps.items():
        print(f"  {k:36s} {v:6.2f} s")
    s = wl.summary()
    print(f"open cases {s['open_cases']}, worklist {s['cases']}, probabilities {s['inclusion_probability_method']}")
    print(f"TOTAL {total:.1f} s  ({'PASS' if total <= 20 else 'FAIL'} against 20 s)")


if __name__ == "__main__":
    main()
