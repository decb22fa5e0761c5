"""Benchmark: ingest and validate a synthetic LA in its three return formats (plus the audit log).

    .venv/bin/python benchmarks/bench_ingest.py [--children 150000] [--years 10] [--no-gx]
    .venv/bin/python benchmarks/bench_ingest.py --fuzz 5000 --children 200 --years 2  # hostile variants
    .venv/bin/python benchmarks/bench_ingest.py --la LA --store STORE  # an LA made elsewhere (paired runs)

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
    ap.add_argument("--la", type=Path, help="an LA already made (its four return folders), not generated here")
    ap.add_argument("--store", type=Path, help="where the store goes (default: under --out)")
    ap.add_argument("--fuzz", type=int, default=0, help="run N hostile variants of real-format files instead")
    ap.add_argument("--fuzz-seed", type=int, default=0)
    a = ap.parse_args()
    la = a.la or a.out / f"la_{a.children}_{a.years}"
    if a.la is None and not (la / "canonical").is_dir():
        from driftflag.synth import SynthConfig
        from driftflag.synth.run import run_synth

        t = time.perf_counter()
        run_synth(SynthConfig(children=a.children, years=a.years, seed=a.seed), la, force=True)
        print(f"generated {la} in {time.perf_counter() - t:.1f}s; rerun to measure ingest alone")
        return 0
    if a.fuzz:
        return _fuzz(la, a.fuzz, a.out, a.fuzz_seed)
    from driftflag.ingest.run import ingest

    t = time.perf_counter()
    r = ingest([la / "ssda903", la / "cin_census", la / "annex_a", la / "audits"], a.store or a.out / "store",
               extract_date=date(2026, 3, 31), created_at=datetime(2026, 4, 1), run_gx=not a.no_gx)
    dt = time.perf_counter() - t
    acc = r.accounting
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{la} gx={not a.no_gx}: {dt:.1f}s wall, CPU {own.ru_utime + own.ru_stime:.1f} s here and "
          f"{kids.ru_utime + kids.ru_stime:.1f} s in the reading and GX processes, peak RSS {_peak_gb():.2f} GB; "
          f"{acc['rows_read'].sum():,} rows read, {acc['accepted'].sum():,} accepted, "
          f"{acc['quarantined'].sum():,} quarantined, {acc['duplicates'].sum():,} duplicates")
    print(r.store.row_counts())
    return 0


def _fuzz(la: Path, n: int, out: Path, seed: int = 0) -> int:
    """N hostile variants of real-format files (the suite's seeds, edits and checks from
    tests/ingest/test_ingest_fuzz.py); prints the figures for benchmarks/README.md."""
    import collections
    import os
    import random
    import shutil

    sys.path.insert(0, str(ROOT / "tests" / "ingest"))
    from test_ingest_fuzz import build_seeds, calibrate, random_case, run_case

    work = out / "fuzz"
    shutil.rmtree(work, ignore_errors=True)
    seeds = build_seeds(la)
    calibrate(seeds, work)
    rng = random.Random(seed)
    outcomes: collections.Counter[str] = collections.Counter()
    bugs: collections.Counter[str] = collections.Counter()
    per_kind: collections.Counter[str] = collections.Counter()
    load0 = os.getloadavg()
    t = time.perf_counter()
    for i in range(n):
        s, kind, data = random_case(seeds, rng)
        o = run_case(s, data, work / "case", kind=kind)
        outcomes[o.outcome] += 1
        per_kind[f"{s.kind}:{kind}"] += 1
        if o.outcome == "bug":
            key = o.detail.split(":")[0]
            bugs[key] += 1
            if bugs[key] <= 3:
                print(f"BUG case {i} {s.name} / {kind}: {o.detail[:300]}", flush=True)
                (work / f"bug-{i}-{s.name}-{kind}.bin").write_bytes(data)
        if (i + 1) % 500 == 0:
            print(f"{i + 1} cases, {time.perf_counter() - t:.0f}s, {dict(outcomes)}", flush=True)
    dt = time.perf_counter() - t
    load1 = os.getloadavg()
    print(f"{n} cases in {dt:.0f}s ({dt / n * 1000:.0f} ms a case), seeds {len(seeds)}: {dict(outcomes)}")
    print(f"internal errors: {sum(v for k, v in bugs.items() if k.startswith('internal error'))}; "
          f"silent losses: {bugs['silent loss']}; files changed outside the store: "
          f"{bugs['files changed outside the store']}; other property failures: "
          f"{sum(v for k, v in bugs.items() if not k.startswith(('internal error', 'silent loss', 'files changed')))}")
    print(f"load average at start {load0[0]:.1f}, at end {load1[0]:.1f} ({os.cpu_count()} cores)")
    print("edits:", dict(sorted(per_kind.items())))
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
