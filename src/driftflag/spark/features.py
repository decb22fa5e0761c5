"""``driftflag features --engine spark``: the pooled panel of many councils written by Spark.

The output is a folder (written beside and swapped in, like every driftflag output, and refused
when it is an input or not driftflag's): ``panel/`` a Parquet dataset (one file per task, the
``la_code`` a column of every file) and ``coverage.csv``, the share of open cases with each
model feature per month over the pool (the pandas engine's coverage table, computed by Spark).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from driftflag.indicators import Registry, load_registry
from driftflag.month import Month
from driftflag.spark.panel import CHILDREN_PER_PARTITION, build_panel
from driftflag.spark.pool import pool_stores
from driftflag.spark.session import spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["OUTPUT_KIND", "SparkFeaturesResult", "pool_coverage", "spark_features"]

#: The kind named in the output folder's marker.
OUTPUT_KIND = "spark-panel"


@dataclass(frozen=True)
class SparkFeaturesResult:
    """The pooled panel written to ``path/panel`` and its coverage table."""

    path: Path
    panel_path: Path
    coverage_path: Path
    rows: int
    months: int
    children: int
    la_codes: list[str]
    coverage: pd.DataFrame
    registry_label: str


def pool_coverage(panel: DataFrame, features: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Feature x month share of open cases with a value (as
    :func:`driftflag.indicators.feature_coverage`), and the number of (LA, child) pairs."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    types = {f.name: f.dataType for f in panel.schema.fields}
    feats = [f for f in features if f in types]

    def present(name: str):
        col = F.col(name)
        ok = col.isNotNull()
        if isinstance(types[name], DoubleType | FloatType):
            ok = ok & ~F.isnan(col)
        return F.sum(ok.cast("long")).alias(name)

    rows = (panel.groupBy("as_of").agg(F.count(F.lit(1)).alias("open_cases"), *[present(f) for f in feats])
            .toPandas())
    children = panel.select("la_code", "child_id").distinct().count()
    if rows.empty:
        return pd.DataFrame(index=pd.Index([*feats, "open_cases"], name="feature")), 0
    rows["month"] = pd.to_datetime(rows["as_of"]).dt.strftime("%Y-%m-%d")
    rows = rows.sort_values("month").set_index("month")
    share = rows[feats].div(rows["open_cases"], axis=0).T
    share.loc["open_cases"] = rows["open_cases"].to_numpy(dtype=float)
    share.index.name = "feature"
    share.columns.name = None
    return share, int(children)


def spark_features(stores: Sequence[Path | str], first: Month | str, last: Month | str, out: Path, *,
                   la_codes: Sequence[str] | None = None, registry: Path | Registry | None = None,
                   spark: SparkSession | None = None, master: str | None = None,
                   children_per_partition: int = CHILDREN_PER_PARTITION) -> SparkFeaturesResult:
    """Write the pooled panel of ``stores`` (each tagged with its LA code) to the folder ``out``."""
    from driftflag._atomic import staged_dir
    from driftflag.indicators.coverage import write_coverage

    pool = pool_stores(stores, la_codes)
    first, last = Month.parse(first, "--from"), Month.parse(last, "--to")
    reg = registry if isinstance(registry, Registry) else load_registry(registry)
    out = Path(out)
    spark = spark or spark_session(master)
    with staged_dir(out, kind=OUTPUT_KIND, inputs=[s.path for s in pool]) as tmp:
        panel, cached = build_panel(spark, pool, first, last, registry=reg,
                                    children_per_partition=children_per_partition)
        try:
            panel.write.parquet(str((tmp / "panel").resolve()))
        finally:
            if cached is not None:
                cached.unpersist()
        written = spark.read.parquet(str((tmp / "panel").resolve()))
        coverage, children = pool_coverage(written, reg.model_features())
        write_coverage(coverage, tmp / "coverage.csv")
        rows = int(coverage.loc["open_cases"].sum()) if len(coverage.columns) else 0
    return SparkFeaturesResult(path=out, panel_path=out / "panel", coverage_path=out / "coverage.csv",
                               rows=rows, months=len(coverage.columns), children=children,
                               la_codes=[s.la_code for s in pool], coverage=coverage,
                               registry_label=reg.label)
