"""LightGBM's thread count changes no tree: tests/conftest.py caps the test workers at one
OpenMP thread (``OMP_THREAD_LIMIT=1`` under ``make test``), while driftflag fits with
``n_jobs=2``. Each fit runs in a fresh interpreter (libgomp reads the limit when it loads), with
the model :func:`driftflag.models._build.build` makes from ``models/lightgbm.yaml``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIT = r"""
import os, sys
import numpy as np, pandas as pd
from driftflag.models import load_specs
from driftflag.models._build import build

def threads():
    return len(os.listdir("/proc/self/task"))

rng = np.random.default_rng(7)
n, names = 6000, [f"x{i}" for i in range(12)]
X = pd.DataFrame(rng.normal(size=(n, len(names))), columns=names)
X.iloc[rng.random(n) < 0.1, 3] = np.nan  # missing values too
y = (X["x0"] - 0.5 * X["x1"].fillna(0) + rng.normal(size=n) > 0.3).astype(int)
(spec,) = load_specs(sys.argv[1], ["lightgbm"])
pipe = build(spec, names, {"x0": "higher_is_worse", "x1": "higher_is_better"})
before = threads()
pipe.fit(X, y)
print(threads() - before)
sys.stdout.flush()
os.write(1, pipe.predict_proba(X)[:, 1].tobytes())
"""


def _fit(limit: str | None) -> tuple[int, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    if limit is not None:
        env["OMP_THREAD_LIMIT"] = limit
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, "-c", FIT, str(ROOT / "models")], env=env,
                         capture_output=True, check=True).stdout
    first, _, scores = out.partition(b"\n")
    return int(first), scores


def test_one_openmp_thread_gives_the_same_scores_as_two():
    new_threads_two, two = _fit(None)
    new_threads_one, one = _fit("1")
    assert new_threads_two >= 1  # n_jobs=2 started a second OpenMP thread...
    assert new_threads_one == 0  # ...which the limit stopped: the fit ran on one thread
    assert len(one) == len(two) == 6000 * 8
    assert one == two  # bit for bit
