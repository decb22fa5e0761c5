"""Time the model stage on a synthetic LA: panel, labels, temporal CV of every spec, metric table.

Run by hand: ``.venv/bin/python benchmarks/bench_models.py [--children 3000 --years 6 --months 36]``;
the issue-5 benchmark is ``--children 150000 --years 10 --months 36``.
Prints seconds per step and the pooled precision@k of each model (no MLflow).
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=3000)
    ap.add_argument("--years", type=int, default=6)
    ap.add_argument("--k", type=int, default=25)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--months", type=int, default=36,
                    help="monthly as-of snapshots in the panel (issue 5: the stage-3 panel, 36)")
    args = ap.parse_args()

    from driftflag.evaluation import MetricTable
    from driftflag.indicators import load_registry, panel
    from driftflag.models import TemporalConfig, load_specs
    from driftflag.models.training import train_models
    from driftflag.synth import SynthConfig, generate
    from driftflag.targets import future_drift

    t0 = time.perf_counter()
    res = generate(SynthConfig(children=args.children, years=args.years, seed=1))
    end = date(2026, 3, 31)
    y, m = end.year, end.month - args.months + 1
    while m <= 0:
        y, m = y - 1, m + 12
    start = date(y, m, 1)
    t1 = time.perf_counter()
    p = panel(res.store, start, end)
    t2 = time.perf_counter()
    labels = future_drift(res.store, cohort=p[["child_id", "as_of"]])
    t3 = time.perf_counter()
    cfg = TemporalConfig(feature_start=start, feature_end=end)
    specs = load_specs(Path(__file__).resolve().parents[1] / "models")
    result = train_models(p, labels, specs, cfg, registry=load_registry(), k=args.k, n_boot=10)
    t4 = time.perf_counter()
    table = MetricTable.from_predictions(result.predictions, k=args.k, baseline=result.baseline,
                                         n_boot=args.n_boot)
    t5 = time.perf_counter()
    print(f"synth {t1 - t0:.1f}s  panel {t2 - t1:.1f}s ({len(p)} rows)  labels {t3 - t2:.2f}s "
          f"(base rate {labels['label'].mean():.3f})  train+CV {t4 - t3:.1f}s  "
          f"metric table n_boot={args.n_boot} {t5 - t4:.1f}s")
    for m in table.models():
        est = table.value(m, "precision_at_k")
        lo, hi = table.value(m, "precision_at_k", column="low"), table.value(m, "precision_at_k", column="high")
        print(f"{m:20s} precision@{args.k} {est:.3f} ({lo:.3f}-{hi:.3f})  "
              f"AUC {table.value(m, 'roc_auc'):.3f}  ECE {table.value(m, 'ece'):.3f}")


if __name__ == "__main__":
    main()
