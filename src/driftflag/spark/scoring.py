"""Scoring a pooled caseload with the registered champion through ``mlflow.pyfunc.spark_udf``.

The caseload is the pooled panel of one month (:func:`driftflag.spark.panel.spark_panel`, as of
its first day, like the worklist); each council's indicators that its sources do not cover on
that day are blanked, as the worklist blanks them
(:func:`driftflag.indicators.sources.uncovered_indicators`); then every row is scored on the
executors by the champion, loaded once per executor from a pyfunc folder built here
(:mod:`driftflag.spark.champion_model`). Tracking always goes to the workspace's explicit URI
(never ``./mlruns``), with MLflow's usage telemetry off.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from driftflag._telemetry import disable_telemetry
from driftflag.indicators import Registry, load_registry
from driftflag.month import Month
from driftflag.spark.panel import CHILDREN_PER_PARTITION, panel_dtypes, spark_panel
from driftflag.spark.pool import PoolStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SourceDates", "champion_udf", "score_pool"]


class SourceDates:
    """The date columns of one store's tables that the coverage guard reads (a date and
    ``known_from``), read on the driver: what
    :func:`~driftflag.indicators.sources.uncovered_indicators` asks of a store."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self._cache:
            import pyarrow.parquet as pq

            from driftflag.casemodel import TABLES

            f = self.path / f"{table}.parquet"
            if table not in TABLES:
                raise KeyError(table)
            if not f.is_file():
                self._cache[table] = TABLES[table].empty()
            else:
                names = set(pq.read_schema(f).names)
                dates = [c.name for c in TABLES[table].columns if c.kind == "date" and c.name in names]
                self._cache[table] = pq.read_table(f, columns=dates).to_pandas()
        return self._cache[table]


def champion_udf(spark: SparkSession, pipeline, dtypes: dict[str, str]):
    """A ``spark_udf`` scoring a struct of snapshot columns with ``pipeline`` (a loaded
    registered model), built from a temporary pyfunc folder that Spark ships to the executors."""
    disable_telemetry()
    import mlflow.pyfunc
    import skops.io as sio

    from driftflag.spark import champion_model

    with tempfile.TemporaryDirectory(prefix="driftflag-champion-") as tmp:
        skops_file = Path(tmp) / "champion.skops"
        sio.dump(pipeline, skops_file)
        folder = Path(tmp) / "pyfunc"
        mlflow.pyfunc.save_model(str(folder), python_model=champion_model.__file__,
                                 artifacts={"pipeline": str(skops_file)},
                                 model_config={"dtypes": dtypes}, pip_requirements=["driftflag[spark]"])
        return mlflow.pyfunc.spark_udf(spark, str(folder), result_type="double", env_manager="local")


def score_pool(spark: SparkSession, stores: Sequence[PoolStore], month: Month | str, *,
               workspace, target: str = "future_drift", model: str | None = None,
               registry: Registry | Path | str | None = None, panel: DataFrame | None = None,
               children_per_partition: int = CHILDREN_PER_PARTITION) -> DataFrame:
    """Every open case of the pool on the first day of ``month`` scored by the registered
    ``model`` (default: the champion) of ``target``: ``la_code``, ``child_id``, ``as_of``,
    ``score``, ``model_version``. Lazy, like every Spark frame. ``panel``: the pool's panel
    already built by :func:`~driftflag.spark.panel.spark_panel` (with the same registry) over
    a span holding ``month``; without it, the month's panel is built."""
    from pyspark.sql import functions as F

    from driftflag.indicators.sources import uncovered_indicators
    from driftflag.tracking import load_model

    disable_telemetry()
    month = Month.parse(month, "--month")
    reg = registry if isinstance(registry, Registry) else load_registry(registry)
    loaded = load_model(workspace, target, model)  # the worklist's loader, and its trust rules
    as_of = month.timestamp()
    if panel is None:
        snap = spark_panel(spark, stores, month, month, registry=reg,
                           children_per_partition=children_per_partition)
    else:
        snap = panel.where(F.col("as_of") == F.lit(as_of.strftime("%Y-%m-%d")).cast("timestamp_ntz"))
    blanked: dict[str, list[str]] = {}
    for s in stores:  # each council's uncovered indicators, as the worklist blanks them
        for ind in uncovered_indicators(SourceDates(s.path), as_of, snap.columns):
            blanked.setdefault(ind, []).append(s.la_code)
    types = dict(snap.dtypes)
    for col, codes in blanked.items():
        snap = snap.withColumn(col, F.when(F.col("la_code").isin(codes), F.lit(None).cast(types[col]))
                               .otherwise(F.col(col)))
    features = loaded.features
    dtypes = {c: t for c, t in panel_dtypes(reg).items() if c in features}
    udf = champion_udf(spark, loaded.pipeline, dtypes)
    return snap.select("la_code", "child_id", "as_of",
                       udf(F.struct(*[F.col(f) for f in features])).alias("score"),
                       F.lit(str(loaded.version)).alias("model_version"))
