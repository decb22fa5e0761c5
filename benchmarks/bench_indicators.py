"""Benchmark: the monthly indicator panel of the stage-1 benchmark LA, and fast versus reference.

Target (issue 4): the monthly panel for 36 months of the benchmark LA (150,000 children over 10
years, seed 1) in at most 20 s and 3 GB peak on 2 cores, and at least 50 times faster than the
slow per-child reference implementation (``tests/indicators/reference.py``) on the same
subsample. Run by hand, not by CI:

    .venv/bin/python benchmarks/bench_indicators.py [--children 150000] [--years 10]
        [--store DIR] [--subsample 10000] [--from 2023-01] [--to 2025-12]

The LA is generated and written as a case store first (or read from ``--store``); the panel is
then timed in a fresh process that reads the store, so the peak RSS reported is that of reading
the store and computing the panel, not of the simulator.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_panel(store_dir: str, start: str, end: str) -> dict:
    """(in a fresh process) read the store, compute the panel, report times and peak RSS."""
    from driftflag.casemodel import read_store
    from driftflag.indicators import panel

    t0 = time.perf_counter()
    store = read_store(Path(store_dir))
    t1 = time.perf_counter()
    p = panel(store, start, end)
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "panel_s": t2 - t1, "rows": len(p), "months": int(p["as_of"].nunique()),
            "columns": p.shape[1], "peak_mb": _peak_mb()}


def subsample(store, n: int, seed: int = 7):
    """All records of ``n`` children drawn at random (workers kept whole)."""
    import numpy as np

    from driftflag.casemodel import CaseStore

    ids = store["children"]["child_id"].to_numpy()
    keep = set(np.random.default_rng(seed).choice(ids, size=min(n, len(ids)), replace=False).tolist())
    frames = {name: (df if "child_id" not in df.columns else
                     df[df["child_id"].isin(keep)].reset_index(drop=True))
              for name, df in store.tables.items()}
    return CaseStore(tables=frames)


def compare_with_reference(store, start: str, end: str) -> dict:
    import pandas as pd

    sys.path.insert(0, str(ROOT / "tests"))
    from driftflag.indicators import load_registry, panel
    from indicators.reference import Reference  # the slow, obviously correct implementation

    reg = load_registry()
    dates = pd.date_range(start, end, freq="MS")
    # warm both up on one month (imports, the bank-holiday calendar), then time the 36 months;
    # the fast time is the best of three runs, the reference is run once
    t0 = time.perf_counter()
    panel(store, start, start, registry=reg)
    cold = time.perf_counter() - t0
    Reference(store, reg).snapshot(dates[0].date())
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fast = panel(store, start, end, registry=reg)
        times.append(time.perf_counter() - t0)
    t1 = time.perf_counter()
    ref = Reference(store, reg)
    ref_rows = sum(len(ref.snapshot(d.date())) for d in dates)
    t2 = time.perf_counter()
    assert ref_rows == len(fast), (ref_rows, len(fast))
    return {"rows": len(fast), "fast_s": min(times), "fast_cold_one_month_s": cold,
            "reference_s": t2 - t1, "ratio": (t2 - t1) / min(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=150_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", type=Path, default=None, help="use this case store (default: generate)")
    ap.add_argument("--from", dest="start", default="2023-01")
    ap.add_argument("--to", dest="end", default="2025-12")
    ap.add_argument("--subsample", type=int, default=10_000, help="children for fast versus reference")
    ap.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # internal: child process
    args = ap.parse_args()
    start, end = f"{args.start}-01", f"{args.end}-01"

    if args.measure:
        print(json.dumps(measure_panel(args.measure, start, end)))
        return

    from driftflag.casemodel import read_store, write_store
    from driftflag.synth import SynthConfig, generate

    tmp = None
    store_dir = args.store
    if store_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="driftflag-bench-")
        store_dir = Path(tmp.name) / "store"
        t = time.perf_counter()
        cfg = SynthConfig(children=args.children, years=args.years, seed=args.seed)
        res = generate(cfg)
        write_store(res.store, store_dir, created_at=datetime(cfg.end.year, cfg.end.month, cfg.end.day))
        print(f"generated the benchmark LA ({args.children:,} children, {args.years} years, seed "
              f"{args.seed}) in {time.perf_counter() - t:.1f} s")
        del res

    out = subprocess.run([sys.executable, __file__, "--measure", str(store_dir), "--from", args.start,
                          "--to", args.end], capture_output=True, text=True, check=True)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"machine: {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()}")
    print(f"panel {args.start}..{args.end}: {m['months']} monthly snapshots, {m['rows']:,} rows x "
          f"{m['columns']} columns")
    print(f"  read store {m['read_s']:.1f} s; panel {m['panel_s']:.1f} s "
          f"({m['rows'] / m['panel_s']:,.0f} rows/s); peak RSS {m['peak_mb']:,.0f} MB")
    ok_time = m["panel_s"] <= 20 and m["peak_mb"] <= 3072
    print(f"  target <= 20 s and <= 3072 MB -> {'PASS' if ok_time else 'FAIL'} "
          f"(read + panel {m['read_s'] + m['panel_s']:.1f} s)")

    sub = subsample(read_store(store_dir), args.subsample)
    c = compare_with_reference(sub, start, end)
    print(f"subsample of {args.subsample:,} children: {c['rows']:,} rows; fast {c['fast_s']:.2f} s "
          f"({c['rows'] / c['fast_s']:,.0f} rows/s), reference {c['reference_s']:.1f} s "
          f"({c['rows'] / c['reference_s']:,.0f} rows/s): {c['ratio']:.0f}x "
          f"(fast, first call of the process, one month: {c['fast_cold_one_month_s']:.2f} s)")
    print(f"  target >= 50x -> {'PASS' if c['ratio'] >= 50 else 'FAIL'}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
