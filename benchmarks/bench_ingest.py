"""Benchmark: ingest and validate a synthetic LA in its three return formats (plus the audit log).

    .venv/bin/python benchmarks/bench_ingest.py [--children 150000] [--years 10] [--no-gx]
    .venv/bin/python benchmarks/bench_ingest.py --fuzz 3000    # thousands of fuzz mutations

Generates the LA once under ``reports/bench_ingest/la`` (reused when present), then times
``driftflag.ingest.run.ingest`` and reports peak resident memory (``ru_maxrss`` of this process,
which includes generation when the LA was just generated, so generate first, then rerun).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=150_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_ingest")
    ap.add_argument("--no-gx", action="store_true")
    ap.add_argument("--fuzz", type=int, default=0, help="run N random mutations instead")
    a = ap.parse_args()
    la = a.out / f"la_{a.children}_{a.years}"
    if not (la / "canonical").is_dir():
        from driftflag.synth import SynthConfig
        from driftflag.synth.run import run_synth

        t = time.perf_counter()
        run_synth(SynthConfig(children=a.children, years=a.years, seed=a.seed), la, force=True)
        print(f"generated {la} in {time.perf_counter() - t:.1f}s; rerun to measure ingest alone")
        return 0
    if a.fuzz:
        return _fuzz(la, a.fuzz, a.out)
    from driftflag.ingest.run import ingest

    t = time.perf_counter()
    r = ingest([la / "ssda903", la / "cin_census", la / "annex_a", la / "audits"], a.out / "store",
               extract_date=date(2026, 3, 31), created_at=datetime(2026, 4, 1), run_gx=not a.no_gx)
    dt = time.perf_counter() - t
    acc = r.accounting
    print(f"children={a.children} years={a.years} gx={not a.no_gx}: {dt:.1f}s, peak RSS {_peak_gb():.2f} GB; "
          f"{acc['rows_read'].sum():,} rows read, {acc['accepted'].sum():,} accepted, "
          f"{acc['quarantined'].sum():,} quarantined, {acc['duplicates'].sum():,} duplicates")
    print(r.store.row_counts())
    return 0


def _fuzz(la: Path, n: int, out: Path) -> int:
    import random
    import shutil

    sys.path.insert(0, str(ROOT / "tests" / "ingest"))
    from test_ingest_fuzz import _check, mutate

    rng = random.Random(0)
    year = sorted((la / "ssda903").iterdir())[-1]
    originals = [year / "episodes.csv", year / "missing.csv", next((la / "annex_a").iterdir())]
    work = out / "fuzz"
    t = time.perf_counter()
    for _ in range(n):
        src = rng.choice(originals)
        data = src.read_bytes()[:200_000]
        kind = rng.choice(["flip", "truncate", "delimiter", "header", "huge", "blank"])
        if src.suffix == ".xlsx" and kind in ("delimiter", "header", "huge"):
            kind = "flip"
        shutil.rmtree(work, ignore_errors=True)
        (work / "2025-26").mkdir(parents=True)
        f = work / "2025-26" / src.name
        f.write_bytes(mutate(data, kind, rng.randrange(1 << 30), rng.randrange(1000)))
        _check([f])
    print(f"{n} mutations, no traceback, {time.perf_counter() - t:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
