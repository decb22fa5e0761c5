"""Benchmark: generate the benchmark LA (150,000 children, 10 years) in all formats.

Target (issue 2): at most 90 s and 4 GB peak memory on 2 cores. Prints wall time per step and
the peak resident memory of this process. Run by hand, not by CI:

    .venv/bin/python benchmarks/bench_synth.py [--children 150000] [--years 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from driftflag.synth import SynthConfig
from driftflag.synth.run import run_synth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=150_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="keep the LA here (default: temp dir)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="driftflag-bench-")) / "la"
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def step(msg: str) -> None:
        marks.append((msg, time.perf_counter() - t0))

    cfg = SynthConfig(children=args.children, years=args.years, seed=args.seed)
    summary = run_synth(cfg, out, force=True, progress=step)
    total = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
          f"python={platform.python_version()}")
    print(summary)
    prev = 0.0
    for (name, t), nxt in zip(marks, [m[1] for m in marks[1:]] + [total], strict=True):
        print(f"  {name:<18} starts {t:6.1f} s  takes {nxt - t:6.1f} s")
        prev = t
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    print(f"total wall time {total:.1f} s; peak RSS {peak_mb:,.0f} MB; output {size:,.0f} MB")
    print(f"targets: <= 90 s and <= 4096 MB -> {'PASS' if total <= 90 and peak_mb <= 4096 else 'FAIL'}")
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)
    del prev


if __name__ == "__main__":
    main()
