"""Validation of ingested data: row-level rules and quarantine (:mod:`.rules`), the readable
summary (:mod:`.summary`) and Great Expectations suites on the accepted tables (:mod:`._gx`,
imported lazily because GX is slow to import)."""

from driftflag.validate.rules import ISSUE_COLUMNS, RULES, Rule, check_table

__all__ = ["ISSUE_COLUMNS", "RULES", "Rule", "check_table"]
