"""Great Expectations 1.x suites for the accepted canonical tables, with Data Docs under the store.

The row-level rule engine (:mod:`driftflag.validate.rules`) decides what is quarantined; GX
re-checks the tables that were accepted, independently, and publishes the result as Data Docs
(``STORE/gx/``), so a reviewer can see every expectation and that it held.

One suite per canonical table, built in code from the schema (:func:`build_expectations`):
column set, a dtype per column, not-null for required columns, code lists, no date after the
extract date, plausible dates of birth, end >= start, unique natural keys and "every event's
child exists" (a ``_child_in_store`` flag column added to the batch). GX has silently merged
expectations before (ml-anchors-and-tooling.md §4.5), so :func:`expected_count` gives the count
the schema implies and :func:`run_suites` refuses to run a suite that holds fewer.

GX is imported here only (it is slow to import), with usage statistics disabled and every file
it writes kept under ``STORE/gx``.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from driftflag.casemodel import codes
from driftflag.casemodel.keys import NATURAL_KEYS
from driftflag.casemodel.schema import TABLE_ORDER, TABLES, Table
from driftflag.casemodel.store import CaseStore
from driftflag.errors import DriftflagError
from driftflag.validate.rules import DATE_PAIRS, FUTURE_OK, MAX_AGE_YEARS, MAX_UNBORN_DAYS

logger = logging.getLogger(__name__)

CHILD_FLAG = "_child_in_store"
#: dtype names for the type expectations. GX 1.24 does not recognise pandas 3's ``str`` and
#: nullable ``boolean`` dtypes in ExpectColumnValuesToBeInTypeList (it reports ``str``/``bool``
#: and still fails), so string columns get no dtype expectation, boolean columns are checked
#: with a value set of True/False and int (nullable Int64) columns with values >= 0 instead.
_TYPES: dict[str, list[str]] = {"date": ["datetime64[ns]"], "float": ["float64"]}


def _has_child(t: Table) -> bool:
    return t.name not in ("children", "workers") and "child_id" in t.column_names


def build_expectations(t: Table, extract_date: date) -> list[Any]:
    """The expectations of one table's suite (GX objects; GX must be importable)."""
    import great_expectations as gx

    E = gx.expectations
    extract = pd.Timestamp(extract_date)
    cols = t.column_names + ([CHILD_FLAG] if _has_child(t) else [])
    ex: list[Any] = [E.ExpectTableColumnsToMatchSet(column_set=cols, exact_match=True)]
    for c in t.columns:
        if c.kind in _TYPES:
            ex.append(E.ExpectColumnValuesToBeInTypeList(column=c.name, type_list=_TYPES[c.kind]))
        elif c.kind == "int":  # nullable Int64 has the same GX problem: check the values
            ex.append(E.ExpectColumnValuesToBeBetween(column=c.name, min_value=0))
        elif c.kind == "bool":
            ex.append(E.ExpectColumnValuesToBeInSet(column=c.name, value_set=[True, False]))
        if c.required:
            ex.append(E.ExpectColumnValuesToNotBeNull(column=c.name))
        if c.codes and c.name not in ("factors", "disability_codes"):
            ex.append(E.ExpectColumnValuesToBeInSet(column=c.name, value_set=[str(v) for v in getattr(codes, c.codes)]))
        if c.kind == "date":
            if c.name == "date_of_birth":
                ex.append(E.ExpectColumnValuesToBeBetween(
                    column=c.name, min_value=(extract - pd.DateOffset(years=MAX_AGE_YEARS)).to_pydatetime(),
                    max_value=(extract + pd.Timedelta(days=MAX_UNBORN_DAYS)).to_pydatetime()))
            elif (t.name, c.name) not in FUTURE_OK:
                ex.append(E.ExpectColumnValuesToBeBetween(column=c.name, max_value=extract.to_pydatetime()))
    for start, end in DATE_PAIRS.get(t.name, ()):
        ex.append(E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=end, column_B=start, or_equal=True, ignore_row_if="either_value_is_missing"))
    key = list(NATURAL_KEYS[t.name])
    ex.append(E.ExpectColumnValuesToBeUnique(column=key[0]) if len(key) == 1
              else E.ExpectCompoundColumnsToBeUnique(column_list=key))
    if _has_child(t):
        ex.append(E.ExpectColumnValuesToBeInSet(column=CHILD_FLAG, value_set=[True]))
    return ex


def expected_count(t: Table) -> int:
    """How many expectations the suite of ``t`` must hold (computed from the schema alone)."""
    n = 1 + sum(c.kind != "string" for c in t.columns)
    n += sum(c.required for c in t.columns)
    n += sum(bool(c.codes) and c.name not in ("factors", "disability_codes") for c in t.columns)
    n += sum(c.kind == "date" and (c.name == "date_of_birth" or (t.name, c.name) not in FUTURE_OK)
             for c in t.columns)
    n += len(DATE_PAIRS.get(t.name, ()))
    n += 1 + int(_has_child(t))
    return n


def _context(root: Path):
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    except Exception:  # cosmetic only: progress bars on stderr
        logger.debug("could not switch off GX progress bars")
    return context


def build_suites(context, extract_date: date) -> dict[str, Any]:
    """Add one suite per canonical table to ``context``; checks each suite's expectation count."""
    import great_expectations as gx

    suites = {}
    for name in TABLE_ORDER:
        t = TABLES[name]
        # the whole suite handed over at once: added one by one, GX rewrote the suite's file
        # after each expectation (336 writes, a third of the GX time at 50,000 children)
        suite = context.suites.add(gx.ExpectationSuite(name=f"driftflag_{name}",
                                                       expectations=build_expectations(t, extract_date)))
        if len(suite.expectations) != expected_count(t):
            raise DriftflagError(
                f"Great Expectations suite for {name} holds {len(suite.expectations)} expectations, "
                f"expected {expected_count(t)} (GX merged some; see ml-anchors-and-tooling.md §4.5)")
        suites[name] = suite
    return suites


class SuiteSession:
    """A GX project under ``root`` with every table's suite added, ready to validate a store.

    Why apart from :func:`run_suites`: importing GX and writing its project and suites take
    several seconds that need no table, so the ingest prepares a session in another process
    while it is still settling the tables (:mod:`driftflag.validate._beside`)."""

    def __init__(self, root: Path, extract_date: date) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)  # a destination that cannot be fails first
        import great_expectations  # noqa: F401  (the slow import, paid here)

        self.context = _context(self.root)
        self.suites = build_suites(self.context, extract_date)
        self.source = self.context.data_sources.add_pandas("driftflag")

    def run(self, store: CaseStore, *, build_docs: bool = True) -> dict[str, Any]:
        """Validate every table of ``store``; returns ``{"success", "expectations", "tables",
        "docs"}`` (see :func:`run_suites`)."""
        import great_expectations as gx

        context = self.context
        kids = pd.Index(store["children"]["child_id"])
        out: dict[str, Any] = {"tables": {}, "expectations": 0}
        kid_ids = kids.astype(object)
        success = True
        for name in TABLE_ORDER:
            # one table at a time, and no copy of its columns (copy-on-write: the flag column is
            # the only new data), so GX never holds a second copy of the whole store
            df = store[name]
            if _has_child(TABLES[name]):
                df = df.assign(**{CHILD_FLAG: df["child_id"].astype(object).isin(kid_ids)})
            asset = self.source.add_dataframe_asset(name)
            bd = asset.add_batch_definition_whole_dataframe(f"{name}_whole")
            vd = context.validation_definitions.add(gx.ValidationDefinition(name=f"validate_{name}", data=bd,
                                                                            suite=self.suites[name]))
            vr = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
            del df
            failed = [r.expectation_config.type + ":" + str(r.expectation_config.kwargs.get("column", ""))
                      for r in vr.results if not r.success]
            out["tables"][name] = {"success": bool(vr.success), "expectations": len(vr.results), "failed": failed}
            out["expectations"] += len(vr.results)
            success &= bool(vr.success)
        out["success"] = success
        docs = self.root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        if build_docs:
            from driftflag.validate.offline_docs import make_offline

            context.build_data_docs()
            make_offline(docs.parent)  # no CDN, no logo fetch with the project's id: works offline
        out["docs"] = str(docs.relative_to(self.root.parent)) if docs.exists() else ""
        return out


def run_suites(store: CaseStore, root: Path, *, extract_date: date, build_docs: bool = True) -> dict[str, Any]:
    """Validate every table of ``store`` with its suite; write the GX project and Data Docs
    under ``root``. Returns ``{"success", "expectations", "tables": {name: {...}}, "docs"}``."""
    return SuiteSession(Path(root), extract_date).run(store, build_docs=build_docs)
