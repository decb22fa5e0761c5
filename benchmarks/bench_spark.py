"""Benchmark: the pooled monthly panel of several synthetic councils, Spark (local mode) against
pandas.

Issue 19: a pool of 8 synthetic LAs (1,000,000+ children in total): the time and peak memory of
the Spark engine in local mode against the pandas engine where it fits, and the largest pool each
handles on this machine. Run by hand, not by CI (it takes minutes and gigabytes):

    nice -n 10 .venv/bin/python benchmarks/bench_spark.py --las 8 --children 125000 --years 5 \\
        --from 2023-04 --to 2026-03 --work "$(mktemp -d)" [--engines pandas,spark] [--master local[2]]

The councils are generated once and kept in ``--work`` (``la-801`` ...; reused by later runs
with the same settings). Each engine then runs in a fresh process whose whole process tree is
sampled for memory (the Spark driver's JVM and its Python workers included): the figure is the
peak of the tree's summed resident memory.

- pandas: every council's panel computed in turn in one process and kept, then stacked with its
  LA code (the pooled frame a pandas user would hold);
- spark: ``spark_panel`` over the pool, written as Parquet (nothing collected to the driver).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# --- memory of a process tree (no psutil: /proc) ------------------------------------------
def _tree_rss_mb(root: int) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/statm") as f:
                pages = int(f.read().split()[1])
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_measured(args: list[str]) -> tuple[dict, float, float]:
    """Run ``args`` (prints one JSON line last), sampling its tree's memory: (result, wall s, peak MB)."""
    start = time.perf_counter()
    log = Path(args[args.index("--work") + 1]) / f"{args[-1]}.stderr.log"  # why a run failed
    with log.open("w") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
        return _wait(proc, start)


def _wait(proc: subprocess.Popen, start: float) -> tuple[dict, float, float]:
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    wall = time.perf_counter() - start
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode} (see the engine's .stderr.log in --work)"}, wall, peak[0]
    return json.loads(lines[-1]), wall, peak[0]


# --- the pool ------------------------------------------------------------------------------
def build_pool(work: Path, las: int, children: int, years: int) -> list[tuple[str, Path]]:
    from driftflag.casemodel import write_store
    from driftflag.synth import SynthConfig, generate

    out = []
    for i in range(las):
        code = str(801 + i)
        path = work / f"la-{code}-{children}-{years}"
        if not (path / "manifest.json").is_file():
            t = time.perf_counter()
            la = generate(SynthConfig(children=children, years=years, seed=i + 1))
            write_store(la.store, path, created_at=datetime(2026, 3, 31), extra={"la_code": code})
            print(f"  generated {path.name} in {time.perf_counter() - t:.0f} s", flush=True)
        out.append((code, path))
    return out


# --- the engines (each in a fresh process) --------------------------------------------------
def pandas_engine(stores: list[str], start: str, end: str) -> dict:
    import pandas as pd

    from driftflag.casemodel import read_store
    from driftflag.indicators import panel

    t = time.perf_counter()
    frames = []
    for spec in stores:
        code, path = spec.split("=", 1)
        frame = panel(read_store(Path(path)), f"{start}-01", f"{end}-01")
        frame.insert(0, "la_code", code)
        frames.append(frame)
    pooled = pd.concat(frames, ignore_index=True)
    return {"rows": len(pooled), "children": int(pooled[["la_code", "child_id"]].drop_duplicates().shape[0]),
            "seconds": time.perf_counter() - t}


def spark_engine(stores: list[str], start: str, end: str, master: str, memory: str, out: str) -> dict:
    import shutil

    from driftflag.spark import local_session, pool_stores, spark_panel

    t0 = time.perf_counter()
    spark = local_session(master, shuffle_partitions=8, memory=memory)
    spark.sparkContext.setLogLevel("ERROR")
    t = time.perf_counter()
    codes = [s.split("=", 1)[0] for s in stores]
    pool = pool_stores([s.split("=", 1)[1] for s in stores], la_codes=codes)
    shutil.rmtree(out, ignore_errors=True)
    spark_panel(spark, pool, start, end).write.parquet(out)
    seconds = time.perf_counter() - t
    written = spark.read.parquet(out)
    rows = written.count()
    children = written.select("la_code", "child_id").distinct().count()
    spark.stop()
    return {"rows": rows, "children": children, "seconds": seconds, "session_seconds": t - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--las", type=int, default=8)
    ap.add_argument("--children", type=int, default=125_000, help="children per council")
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--from", dest="start", default="2023-04")
    ap.add_argument("--to", dest="end", default="2026-03")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "driftflag-bench-spark")
    ap.add_argument("--engines", default="pandas,spark")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--engine", help=argparse.SUPPRESS)  # the child process
    ap.add_argument("--store", action="append", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.engine == "pandas":
        print(json.dumps(pandas_engine(args.store, args.start, args.end)))
        return
    if args.engine == "spark":
        print(json.dumps(spark_engine(args.store, args.start, args.end, args.master, args.driver_memory,
                                      str(args.work / "spark-panel"))))
        return

    args.work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    t = time.perf_counter()
    pool = build_pool(args.work, args.las, args.children, args.years)
    print(f"pool: {args.las} councils x {args.children:,} children, {args.years} years "
          f"({time.perf_counter() - t:.0f} s to build or find)", flush=True)
    stores = [a for code, path in pool for a in ("--store", f"{code}={path}")]
    common = [sys.executable, __file__, "--from", args.start, "--to", args.end, "--work", str(args.work),
              "--master", args.master, "--driver-memory", args.driver_memory, *stores]
    for engine in [e for e in args.engines.split(",") if e]:
        load = os.getloadavg()[0]
        result, wall, peak = run_measured([*common, "--engine", engine])
        print(f"{engine}: {json.dumps(result)}; wall {wall:.0f} s (process), peak tree RSS {peak:,.0f} MB; "
              f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
