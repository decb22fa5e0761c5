"""Training at the benchmark size, for before/after comparisons (benchmarks/README.md, issue 17).

``--store`` builds the 36-month panel and ``future_drift`` labels once (cached in ``--cache``);
then ``train_models`` runs as ``run_all.py``'s ``train`` stage calls it and its outputs are
pickled to ``--out`` (``--prof`` adds a CPU-time cProfile). ``--compare A B`` checks two outputs
are identical to the bit. Run the code before with ``PYTHONPATH`` pointing at its ``src``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
START, EXTRACT = date(2023, 4, 1), date(2026, 3, 31)


def _compare(a_path: str, b_path: str) -> None:
    with open(a_path, "rb") as fa, open(b_path, "rb") as fb:
        a, b = pickle.load(fa), pickle.load(fb)
    for key in ("predictions", "open_case_scores", "metric_table"):
        pd.testing.assert_frame_equal(a[key], b[key], check_exact=True)
    for name, scores in a["final_scores"].items():
        np.testing.assert_array_equal(scores, b["final_scores"][name])
    print("identical: predictions, open-case scores, metric table, final models' scores")


def _panel(store: Path, cache: Path):
    if cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    from driftflag.casemodel.store import read_store
    from driftflag.indicators import panel
    from driftflag.targets import future_drift

    cs = read_store(store)
    pan = panel(cs, START, EXTRACT)
    out = (pan, future_drift(cs, cohort=pan[["child_id", "as_of"]]))
    with cache.open("wb") as fh:
        pickle.dump(out, fh)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("panel-and-labels.pkl"))
    ap.add_argument("--out", type=Path, default=Path("train-result.pkl"))
    ap.add_argument("--models", nargs="*", default=None, help="spec names (default: all three)")
    ap.add_argument("--prof", action="store_true")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"))
    args = ap.parse_args()
    if args.compare:
        _compare(*args.compare)
        return 0
    from driftflag.indicators import load_registry
    from driftflag.models import TemporalConfig, load_specs
    from driftflag.models.training import train_models

    pan, labels = _panel(args.store, args.cache)
    specs = load_specs(ROOT / "models", args.models) if args.models else load_specs(ROOT / "models")
    prof = None
    if args.prof:
        import cProfile

        prof = cProfile.Profile(time.process_time)
    load0, cpu0, wall0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    res = train_models(pan, labels, specs, TemporalConfig(feature_start=START, feature_end=EXTRACT),
                       registry=load_registry(), k=25, n_boot=100)
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"train_models: wall {wall:.1f} s, CPU {cpu:.1f} s, load {load0:.2f} -> "
          f"{os.getloadavg()[0]:.2f}, panel rows {len(pan):,}, peak RSS {rss:.2f} GB")
    last = pan[pan["as_of"] == pan["as_of"].max()]
    with args.out.open("wb") as fh:
        pickle.dump({"predictions": res.predictions, "open_case_scores": res.open_case_scores,
                     "metric_table": res.metric_table.frame,
                     "final_scores": {k: m.predict_proba(last)[:, 1] for k, m in res.final_models.items()}},
                    fh)
    if prof:
        import pstats

        prof.dump_stats(str(args.out) + ".prof")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
