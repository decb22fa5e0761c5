"""pyspark's own daemon for the Spark tests' Python workers, with the workers' imports made once,
before it forks them, and frozen out of the garbage collector's walks.

The ``spark`` fixture (``conftest.py``) names this module as ``spark.python.daemon.module``. The
daemon forks one Python worker per concurrent task and reuses it; each worker imported pandas,
pyarrow, scikit-learn, MLflow and driftflag itself (about 3 s of CPU each), and a reused worker
runs a full ``gc.collect()`` after every task, which walked every object those imports made
(about 250,000: 0.1 s a task, more under load). Imported here and frozen (``gc.freeze``), the
forked workers share them, and each collection walks only what the task made. The workers run
the same code on the same modules: only when the imports happen changes. Nothing imported here
starts a thread (forking then is safe).
"""

from __future__ import annotations

import gc

# what the tests' tasks import when they unpickle their functions: the panel's packers and
# per-partition panel (driftflag.spark.panel), the champion's pyfunc (MLflow, scikit-learn, skops)
import pandas  # noqa: F401
import pyarrow  # noqa: F401
import sklearn.impute  # noqa: F401
import sklearn.linear_model  # noqa: F401
import sklearn.pipeline  # noqa: F401
import sklearn.preprocessing  # noqa: F401
import skops.io  # noqa: F401
from pyspark.daemon import manager

import driftflag.indicators  # noqa: F401
import driftflag.spark.champion_model  # noqa: F401
import driftflag.spark.panel  # noqa: F401

gc.freeze()

if __name__ == "__main__":
    manager()
