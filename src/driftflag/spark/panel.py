"""The monthly drift panel of a pool of councils on Spark: the pandas engine's snapshot code, run
per partition of children.

How a pool is split. Every table with a ``child_id`` is read by Spark from each store's Parquet
file, tagged with the store's LA code and a partition number (a hash of the child id), and packed
per (LA, partition) into one Arrow blob per table. ``groupBy("la_code", "part").applyInPandas``
then gives each task every record of its children: the task rebuilds a
:class:`~driftflag.casemodel.CaseStore` of those children (plus its council's staff roster, which
is not per child and is sent whole) and runs :meth:`driftflag.indicators.Prepared.frame`, the code
:func:`driftflag.indicators.panel` runs. A child's records never straddle two partitions, and
partitions never mix councils.

What is computed across children, and how it stays identical:

- ``team_caseload`` (open cases per worker in the child's team on the day) counts every child of
  a team: a partition sees only some, so the column is recomputed by a Spark aggregation over the
  whole pooled panel (cases per LA, day and team; the roster in post, or else the distinct
  allocated workers), with the arithmetic of :func:`driftflag.indicators.definitions.team_caseload`.
- whether visits are known on a day reads the first visit (and first snapshot-sourced visit)
  known anywhere in the store: computed per council by Spark and handed to each partition
  (:attr:`driftflag.indicators.Prepared.visit_coverage`).

``tests/spark`` checks the result equals the pandas engine's panel, row for row and value for
value, on a pool of three synthetic councils.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from driftflag.casemodel import TABLE_ORDER, TABLES, CaseStore
from driftflag.errors import ConfigError
from driftflag.indicators import Prepared, Registry, as_of_dates, load_registry, to_day
from driftflag.month import Month
from driftflag.spark.pool import PoolStore
from driftflag.spark.session import require_pyspark

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["CHILDREN_PER_PARTITION", "CHILD_TABLES", "build_panel", "panel_dtypes", "panel_schema", "panel_to_pandas", "spark_panel",
           "training_sample"]

#: Children per partition by default: one task's pandas panel stays a few hundred megabytes.
CHILDREN_PER_PARTITION = 20_000
#: The staff roster: not per child, so every partition of a council gets all of it.
ROSTER = "workers"
#: Tables read per child: every canonical table with a child id except the audit records, which
#: no indicator reads.
CHILD_TABLES: tuple[str, ...] = tuple(
    name for name in TABLE_ORDER
    if name not in (ROSTER, "audits") and "child_id" in TABLES[name].column_names)
_PACKED = "la_code string, part int, table string, blob binary"


# --- Arrow blobs: one table's rows of one partition ------------------------------------------
def _to_blob(table: pa.Table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_blob(blob: bytes) -> pa.Table:
    import pyarrow as pa

    return pa.ipc.open_stream(io.BytesIO(blob)).read_all()


def _as_frame(table: pa.Table, name: str) -> pd.DataFrame:
    """A packed table as the frame ``read_store`` would give (before conforming): dates that
    Spark carried as nanoseconds (int64) or as its own timestamps become ``datetime64[ns]``."""
    import pyarrow as pa

    dates = {c.name for c in TABLES[name].columns if c.kind == "date"}
    cols = {}
    for field, col in zip(table.schema, table.columns, strict=True):
        if field.name in dates:
            if pa.types.is_integer(field.type):
                col = col.cast(pa.timestamp("ns"))
            elif pa.types.is_timestamp(field.type) and field.type.tz is not None:
                col = col.cast(pa.timestamp(field.type.unit, "UTC")).cast(pa.timestamp(field.type.unit))
        cols[field.name] = col
    return pa.table(cols).to_pandas()


def _packer(name: str):
    """The ``mapInArrow`` function packing one table's rows into one blob per (LA, partition)
    met in each input split: narrow (no shuffle per table); the one shuffle is the grouping of
    every table's blobs by (LA, partition)."""

    def pack(batches):  # no type hints: pyspark reads them to choose the API
        import pyarrow as pa

        batches = list(batches)
        table = pa.Table.from_batches(batches) if batches else None
        if table is None or table.num_rows == 0:
            return
        keys = pd.MultiIndex.from_arrays([table.column("la_code").to_numpy(zero_copy_only=False),
                                          table.column("part").to_numpy(zero_copy_only=False)])
        codes, groups = pd.factorize(keys)
        body = table.drop_columns(["la_code", "part"])
        for i, (la, part) in enumerate(groups):
            rows = pa.array((codes == i).nonzero()[0])
            yield pa.RecordBatch.from_pydict(
                {"la_code": [str(la)], "part": [int(part)], "table": [name],
                 "blob": [_to_blob(body.take(rows))]},
                schema=pa.schema([("la_code", pa.string()), ("part", pa.int32()),
                                  ("table", pa.string()), ("blob", pa.binary())]))

    return pack


def _unpack(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One partition's blobs -> each table's rows, in the order of the store's file (``_row``):
    rows of a child on the same day keep the order the pandas engine sees."""
    import pyarrow as pa

    out = {}
    for name, group in frame.groupby("table", sort=False):
        table = pa.concat_tables([_from_blob(b) for b in group["blob"]])
        table = table.sort_by("_row").drop_columns(["_row"])
        out[str(name)] = _as_frame(table, str(name))
    return out


# --- the panel's columns -----------------------------------------------------------------------
def _empty_panel(registry: Registry, dates: list[pd.Timestamp]) -> pd.DataFrame:
    """The pandas engine's panel of an empty store: its columns and dtypes."""
    prep = Prepared.from_store(CaseStore.from_frames({}), registry, as_of_days=[to_day(d) for d in dates])
    return prep.frame(dates)


def panel_schema(registry: Registry, dates: list[pd.Timestamp]) -> str:
    """The Spark schema of a pooled panel (DDL): ``la_code`` then the pandas panel's columns."""
    frame = _empty_panel(registry, dates)
    parts = ["la_code string"]
    for col, dtype in frame.dtypes.items():
        kind = str(dtype)
        if kind == "boolean":
            spark_type = "boolean"
        elif kind.startswith("datetime64"):
            spark_type = "timestamp_ntz"
        elif kind in ("str", "string", "object"):
            spark_type = "string"
        elif kind.startswith("float") or kind.startswith("int"):
            spark_type = "double"
        else:
            raise ConfigError(f"panel column {col} has a type the Spark engine cannot carry ({kind})")
        parts.append(f"`{col}` {spark_type}")
    return ", ".join(parts)


# --- store-wide facts ------------------------------------------------------------------------
def _roster(stores: Sequence[PoolStore]) -> dict[str, bytes]:
    """Each council's staff roster (small: one row per worker post), as an Arrow blob."""
    import pyarrow.parquet as pq

    return {s.la_code: _to_blob(pq.read_table(s.table(ROSTER))) for s in stores}


def _visit_coverage(spark: SparkSession, visits: DataFrame | None) -> dict[str, tuple[int | None, int | None]]:
    """Per council, :attr:`Prepared.visit_coverage` of the whole store: the first day a visit is
    known, and the first day a visit known after its date is known (day numbers)."""
    from pyspark.sql import functions as F

    if visits is None:
        return {}
    day, kf = _day_number(visits, "visit_date"), _day_number(visits, "known_from")
    known = F.when(kf.isNull() | (kf < day), day).otherwise(kf)
    rows = (visits.where(F.col("child_id").isNotNull() & F.col("visit_date").isNotNull())
            .groupBy("la_code")
            .agg(F.min(known).alias("first"), F.min(F.when(known > day, known)).alias("late"))
            .collect())
    return {r["la_code"]: (None if r["first"] is None else int(r["first"]),
                           None if r["late"] is None else int(r["late"])) for r in rows}


def _day_number(df: DataFrame, column: str):
    """A date column as a day number since 1970-01-01 (:func:`driftflag.indicators.to_day`):
    Spark carries the stores' nanosecond timestamps as int64 (``SQL_CONF``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegralType

    if column not in df.columns:
        return F.lit(None).cast("long")
    if isinstance(df.schema[column].dataType, IntegralType):
        # exact integer floor division (a double would round nanoseconds near 2**60)
        return F.expr(f"(`{column}` - pmod(`{column}`, 86400000000000L)) div 86400000000000L")
    return F.datediff(F.to_date(F.col(column)), F.lit("1970-01-01").cast("date")).cast("long")


def _read(spark: SparkSession, stores: Sequence[PoolStore], name: str, parts: int) -> DataFrame | None:
    """One table of every store, with ``la_code`` and ``part`` (a hash of the child id)."""
    from pyspark.sql import functions as F

    frames = []
    for s in stores:
        path = s.table(name)
        if not path.is_file():
            continue  # a table added in a later schema: the store has none (read_store: empty)
        df = spark.read.parquet(str(path))
        # the row's place in the file: ties (a child's two visits on one day) keep their order
        frames.append(df.select(F.lit(s.la_code).alias("la_code"), *df.columns,
                                F.monotonically_increasing_id().alias("_row")))
    if not frames:
        return None
    out = frames[0]
    for other in frames[1:]:
        out = out.unionByName(other, allowMissingColumns=True)
    part = F.pmod(F.xxhash64(F.col("la_code"), F.col("child_id")), F.lit(parts)).cast("int")
    return out.withColumn("part", part)


def _partitions(stores: Sequence[PoolStore], children_per_partition: int) -> int:
    largest = max((s.children for s in stores), default=0)
    return max(1, math.ceil(largest / max(1, children_per_partition)))


# --- the panel -----------------------------------------------------------------------------
def spark_panel(spark: SparkSession, stores: Sequence[PoolStore], first: Month | str, last: Month | str, *,
                registry: Registry | Path | str | None = None,
                children_per_partition: int = CHILDREN_PER_PARTITION) -> DataFrame:
    """The pooled monthly panel: one row per open child of each council on the first day of each
    month from ``first`` to ``last``, ``la_code`` first, then the columns of
    :func:`driftflag.indicators.panel` with the same values. Lazy: nothing runs until the
    frame is written, counted or collected. The per-partition panels are kept (persisted) for
    the session; :func:`build_panel` returns them too, to unpersist when done."""
    return build_panel(spark, stores, first, last, registry=registry,
                       children_per_partition=children_per_partition)[0]


def build_panel(spark: SparkSession, stores: Sequence[PoolStore], first: Month | str, last: Month | str, *,
                registry: Registry | Path | str | None = None,
                children_per_partition: int = CHILDREN_PER_PARTITION) -> tuple[DataFrame, DataFrame | None]:
    """``(panel, persisted)``: :func:`spark_panel` and the persisted frame it reads (None when
    nothing is persisted), for callers that free it (``persisted.unpersist()``)."""
    require_pyspark()

    first, last = Month.parse(first, "--from"), Month.parse(last, "--to")
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}")
    if not stores:
        raise ConfigError("give at least one --store")
    reg = registry if isinstance(registry, Registry) else load_registry(registry)
    dates = as_of_dates(first.timestamp(), last.timestamp(), "MS")
    parts = _partitions(stores, children_per_partition)
    schema = panel_schema(reg, dates)

    packed = None
    visits = None
    for name in CHILD_TABLES:
        df = _read(spark, stores, name, parts)
        if df is None:
            continue
        if name == "visits":
            visits = df
        blobs = df.mapInArrow(_packer(name), _PACKED)
        packed = blobs if packed is None else packed.unionByName(blobs)
    if packed is None:
        raise ConfigError("the pool's stores hold no tables with children")
    rosters = _roster(stores)
    coverage = _visit_coverage(spark, visits)
    days = [to_day(d) for d in dates]

    def partition_panel(frame):
        """Every table's rows of one partition's children -> the pandas engine's panel of them."""
        la = str(frame["la_code"].iloc[0])
        tables = _unpack(frame)
        tables[ROSTER] = _as_frame(_from_blob(rosters[la]), ROSTER)
        prep = Prepared.from_store(CaseStore.from_frames(tables), reg, as_of_days=days)
        prep.visit_coverage = coverage.get(la, (None, None))
        out = prep.frame(dates)
        out.insert(0, "la_code", la)
        return out

    raw = packed.groupBy("la_code", "part").applyInPandas(partition_panel, schema)
    if "team_caseload" not in raw.columns:
        return raw, None
    # read twice below (the team aggregation and the join): computed once, kept on the
    # executors (spilled to disk when it does not fit); unpersist() it when done
    from pyspark import StorageLevel

    raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
    return _with_team_caseload(spark, raw, stores, dates), raw


def _roster_in_post(stores: Sequence[PoolStore], dates: list[pd.Timestamp]) -> pd.DataFrame:
    """Per council, day and team: the roster rows in post (start <= day < end, a team named) and
    whether anyone is in post that day, as :func:`~driftflag.indicators.definitions.team_caseload`
    counts them."""
    import pyarrow.parquet as pq

    rows = []
    for s in stores:
        roster = pq.read_table(s.table(ROSTER), columns=["team", "start_date", "end_date"]).to_pandas()
        roster = roster[roster["start_date"].notna()]
        staffed = roster[roster["team"].notna()]
        for d in dates:
            in_post = staffed[(staffed["start_date"] <= d) & (staffed["end_date"].isna() | (staffed["end_date"] > d))]
            if len(in_post) == 0:
                continue
            for team, n in in_post["team"].astype(str).value_counts().items():
                rows.append((s.la_code, d, team, int(n)))
    return pd.DataFrame(rows, columns=["la_code", "as_of", "team", "roster"])


def _with_team_caseload(spark: SparkSession, panel: DataFrame, stores: Sequence[PoolStore],
                        dates: list[pd.Timestamp]) -> DataFrame:
    """``panel`` with ``team_caseload`` recomputed over every child of each council's team."""
    from pyspark.sql import functions as F

    keys = ["la_code", "as_of", "team"]
    cases = (panel.where(F.col("team").isNotNull()).groupBy(*keys)
             .agg(F.count(F.lit(1)).alias("_cases"), F.countDistinct("worker_id").alias("_held")))
    roster = _roster_in_post(stores, dates)
    if len(roster):
        posted = spark.createDataFrame(roster, "la_code string, as_of timestamp_ntz, team string, roster long")
        days = posted.select("la_code", "as_of").distinct().withColumn("_rostered", F.lit(True))
        cases = (cases.join(posted, keys, "left").join(days, ["la_code", "as_of"], "left"))
        workers = F.when(F.col("_rostered"), F.coalesce(F.col("roster"), F.lit(0))).otherwise(F.col("_held"))
    else:
        workers = F.col("_held")
    per_worker = (cases.select(*keys, F.when(workers > 0, F.col("_cases").cast("double") / workers.cast("double"))
                               .alias("_caseload")))
    columns = panel.columns
    out = panel.join(per_worker, keys, "left").withColumn("team_caseload", F.col("_caseload"))
    return out.select(*columns)


def panel_dtypes(registry: Registry) -> dict[str, str]:
    """The pandas engine's type of each panel column (``"boolean"``, ``"str"``, ``"float64"``...)."""
    return {str(c): str(t) for c, t in _empty_panel(registry, [pd.Timestamp("2000-01-01")]).dtypes.items()}


def panel_to_pandas(panel: DataFrame, registry: Registry | Path | str | None = None) -> pd.DataFrame:
    """A pooled panel collected to the driver with the pandas engine's column types (Spark has
    no nullable boolean or nanosecond timestamp in pandas), sorted by LA, as-of date and child.
    For a pool that fits the driver: tests, a sample, one month's caseload."""
    reg = registry if isinstance(registry, Registry) else load_registry(registry)
    frame = panel.toPandas()
    for col, dtype in panel_dtypes(reg).items():
        if col in frame.columns:
            frame[col] = frame[col].astype(dtype)
    frame["la_code"] = frame["la_code"].astype("str")
    return frame.sort_values(["la_code", "as_of", "child_id"], kind="stable").reset_index(drop=True)


def training_sample(panel: DataFrame, fraction: float, *, seed: int = 0) -> pd.DataFrame:
    """A stated sample of a pooled panel, drawn on Spark and brought to the driver to fit a model
    there (``docs/spark.md``): a Bernoulli sample of ``fraction`` of the children (every month of
    a sampled child, so its history stays whole), reproducible with ``seed``."""
    from pyspark.sql import functions as F

    if not 0 < fraction <= 1:
        raise ConfigError(f"sample fraction {fraction} is not in (0, 1]")
    threshold = int(fraction * 2**31)
    picked = F.pmod(F.xxhash64(F.col("la_code"), F.col("child_id"), F.lit(seed)), F.lit(2**31)) < threshold
    out = panel.where(picked).toPandas()
    return out.sort_values(["la_code", "as_of", "child_id"], kind="stable").reset_index(drop=True)
