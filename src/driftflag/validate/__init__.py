"""Validation of ingested data: row-level rules and quarantine (:mod:`.rules`), the readable
summary (:mod:`.summary`) and Great Expectations suites on the accepted tables (:mod:`._gx`,
imported lazily because GX is slow to import)."""

from driftflag.validate.rules import ISSUE_COLUMNS, RULES, Rule, check_table

__all__ = ["ISSUE_COLUMNS", "RULES", "Rule", "check_table", "run_suites"]


def run_suites(*args, **kwargs):
    """The Great Expectations suites on the accepted tables (:func:`._gx.run_suites`; GX is
    imported only when they run)."""
    from driftflag.validate._gx import run_suites as run

    return run(*args, **kwargs)
