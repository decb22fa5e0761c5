"""The Spark session driftflag runs in: the platform's own, or a local one for tests and laptops."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from driftflag.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["MISSING_EXTRA", "SQL_CONF", "local_session", "require_pyspark", "spark_session"]

MISSING_EXTRA = ("the Spark engine needs pyspark: pip install 'driftflag[spark]' "
                 "(and Java 17, e.g. the Debian package openjdk-17-jre-headless)")

#: Settings the engine needs in any session (set at run time, so a platform's session works):
#: case stores hold nanosecond timestamps, which Spark reads only as the raw int64 (converted
#: back exactly inside the engine); dates are naive, so the session clock is UTC.
SQL_CONF: dict[str, str] = {
    "spark.sql.legacy.parquet.nanosAsLong": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def require_pyspark() -> None:
    """Raise one line (:class:`ConfigError`) when the ``spark`` extra is not installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError(MISSING_EXTRA) from None


def _configure(spark: SparkSession) -> SparkSession:
    for key, value in SQL_CONF.items():
        spark.conf.set(key, value)
    return spark


def local_session(master: str = "local[2]", *, shuffle_partitions: int = 4,
                  memory: str | None = None) -> SparkSession:
    """A local Spark session (tests, a laptop, the benchmark): no web UI, few shuffle
    partitions, Python workers on this interpreter. Nothing is downloaded: no packages or jars."""
    require_pyspark()
    # the workers must run this interpreter (it has pyarrow and driftflag), not `python3` on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(master).appName("driftflag")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
               .config("spark.default.parallelism", str(shuffle_partitions)))
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    for key, value in SQL_CONF.items():
        builder = builder.config(key, value)
    return _configure(builder.getOrCreate())


def spark_session(master: str | None = None) -> SparkSession:
    """The active session (a Databricks, Fabric or Synapse notebook or job), else a local one
    (``master``, default ``local[*]``), configured with :data:`SQL_CONF`."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return _configure(active)
    return local_session(master or "local[*]")
