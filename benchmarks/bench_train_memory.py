"""Where the ``train`` stage's memory goes: resident memory (RSS) per step, issue 17.

Runs what ``run_all.py``'s ``train`` stage runs (read the store, the 36-month panel, the
``future_drift`` labels, ``train_models`` with the three shipped specs, ``k=25``, 100
replicates) with a thread sampling this process's RSS every 10 ms. Each step of
``train_models`` is labelled by wrapping its helpers (feature encoding, each fit, the scoring
between fits, the metric table), so the table printed at the end gives, per step, the RSS when
it began and the highest RSS while it ran::

    PYTHONPATH=src nice -n 10 .venv/bin/python benchmarks/bench_train_memory.py --store STORE

The sampler misses peaks shorter than its period; ``ru_maxrss`` (printed last) does not.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, EXTRACT = date(2023, 4, 1), date(2026, 3, 31)
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


class Sampler:
    """RSS sampled on a thread; ``phase(name)`` starts a new labelled step."""

    def __init__(self, period: float = 0.01):
        self.period = period
        self.steps: list[list] = []  # [name, rss at start, peak, seconds]
        self._t0 = time.perf_counter()
        self._stop = False
        self.phase("start")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def phase(self, name: str) -> None:
        now = _rss()
        if self.steps:
            self.steps[-1][2] = max(self.steps[-1][2], now)
            self.steps[-1][3] = time.perf_counter() - self._t0
        self._t0 = time.perf_counter()
        self.steps.append([name, now, now, 0.0])

    def _run(self) -> None:
        while not self._stop:
            step = self.steps[-1]
            step[2] = max(step[2], _rss())
            time.sleep(self.period)

    def stop(self) -> None:
        self.phase("end")
        self._stop = True
        self._thread.join()

    def table(self) -> str:
        gb = 1024 ** 3
        lines = [f"{'step':<46} {'start GB':>9} {'peak GB':>8} {'seconds':>8}"]
        for name, start, peak, secs in self.steps:
            lines.append(f"{name:<46} {start / gb:9.2f} {peak / gb:8.2f} {secs:8.1f}")
        return "\n".join(lines)


def _wrap(sampler: Sampler, module, attr: str, label) -> None:
    """Replace ``module.attr`` by a wrapper that opens a step named ``label(*args)`` and, on
    return, a step ``after <name>`` (the work between helpers: scoring, frames)."""
    fn = getattr(module, attr)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        name = label(*args, **kwargs)
        sampler.phase(name)
        out = fn(*args, **kwargs)
        sampler.phase(f"  after {name}")
        return out

    setattr(module, attr, wrapper)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--n-boot", type=int, default=100)
    args = ap.parse_args()
    sampler = Sampler()
    load0, cpu0, wall0 = os.getloadavg()[0], time.process_time(), time.perf_counter()

    from driftflag._memory import release_free_memory
    from driftflag.casemodel.store import read_store
    from driftflag.evaluation import _table
    from driftflag.indicators import load_registry, panel
    from driftflag.models import TemporalConfig, load_specs, training
    from driftflag.targets import future_drift

    fits = {"n": 0}

    def fit_label(spec, *a, **kw):
        fits["n"] += 1
        return f"fit {spec.name} #{fits['n']}"

    _wrap(sampler, training, "prepare_features", lambda frame, *a, **kw: f"encode {len(frame):,} rows")
    _wrap(sampler, training, "_fit_one", fit_label)
    _wrap(sampler, training, "_coverage_decision", lambda *a, **kw: "coverage decision")
    orig = _table.MetricTable.from_predictions.__func__

    def table(cls, predictions, **kw):
        sampler.phase(f"metric table ({len(predictions):,} rows)")
        out = orig(cls, predictions, **kw)
        sampler.phase("  after metric table")
        return out

    _table.MetricTable.from_predictions = classmethod(table)

    sampler.phase("read store")
    store = read_store(args.store)
    sampler.phase("panel (36 months)")
    pan = panel(store, START, EXTRACT)
    sampler.phase("labels")
    labels = future_drift(store, cohort=pan[["child_id", "as_of"]])
    del store  # as run_all's train stage and driftflag.stages._train
    release_free_memory()
    sampler.phase("train_models: merge, sort")
    specs = load_specs(ROOT / "models")
    res = training.train_models(pan, labels, specs, TemporalConfig(feature_start=START, feature_end=EXTRACT),
                                registry=load_registry(), k=25, n_boot=args.n_boot)
    sampler.stop()
    print(sampler.table())
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(f"panel {len(pan):,} rows x {pan.shape[1]} columns ({pan.memory_usage(deep=True).sum() / 1e9:.2f} GB deep); "
          f"predictions {len(res.predictions):,} rows; open-case scores {len(res.open_case_scores):,} rows")
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s, load {load0:.2f} -> {os.getloadavg()[0]:.2f}, "
          f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2:.2f} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
