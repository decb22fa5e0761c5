"""Regional pooling on Spark: the drift panel and the champion's scores over many councils' stores.

A thin face over the pandas engine. Each store is tagged with its LA code; its children are
hashed into partitions and ``groupBy(la_code, partition).applyInPandas(...)`` runs the same
snapshot code as :func:`driftflag.indicators.panel` on each partition's children, so both engines
give identical panels (the few figures computed across children are made whole store-wide, see
:mod:`driftflag.spark.panel`). The champion scores a pooled caseload through
``mlflow.pyfunc.spark_udf``.

>>> from driftflag.spark import local_session, pool_stores, spark_panel   # doctest: +SKIP
>>> spark = local_session()                                 # or the platform's own session
>>> pool = pool_stores(["stores/la-201", "stores/la-202"], la_codes=["201", "202"])
>>> panel = spark_panel(spark, pool, "2025-01", "2025-12")  # a Spark DataFrame, la_code first

pyspark is an optional extra (``pip install 'driftflag[spark]'``): nothing here imports it until
a function that needs it is called, and then a missing extra is one line. ``docs/spark.md``
covers Databricks, Fabric and Synapse.
"""

from __future__ import annotations

from driftflag.spark.pool import PoolStore, pool_stores
from driftflag.spark.session import local_session, require_pyspark, spark_session

__all__ = ["PoolStore", "local_session", "pool_stores", "require_pyspark", "score_pool", "spark_features",
           "spark_panel", "spark_session", "training_sample"]


def __getattr__(name: str):
    """The functions that need pyspark, imported when first used."""
    if name in ("spark_panel", "training_sample"):
        from driftflag.spark import panel

        return getattr(panel, name)
    if name == "spark_features":
        from driftflag.spark.features import spark_features

        return spark_features
    if name == "score_pool":
        from driftflag.spark.scoring import score_pool

        return score_pool
    raise AttributeError(name)
