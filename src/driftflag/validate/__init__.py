"""Validation of ingested data: row-level rules and quarantine (:mod:`.rules`), the readable
summary (:mod:`.summary`) and Great Expectations suites on the accepted tables (:mod:`._gx`,
imported lazily because GX is slow to import; :mod:`._beside` prepares them in another process)."""

from driftflag.validate.rules import ISSUE_COLUMNS, RULES, Rule, check_table

__all__ = ["ISSUE_COLUMNS", "RULES", "Rule", "check_table", "run_suites", "start_suites"]


def run_suites(*args, **kwargs):
    """The Great Expectations suites on the accepted tables (:func:`._gx.run_suites`; GX is
    imported only when they run)."""
    from driftflag.validate._gx import run_suites as run

    return run(*args, **kwargs)


def start_suites(root, extract_date, *, beside: bool):
    """The suites of an ingest writing its GX project under ``root``, prepared in another
    process from now on when ``beside`` (:func:`._beside.start_suites`): an object whose
    ``run(store)`` gives what :func:`run_suites` gives, and whose ``close()`` stops it."""
    from driftflag.validate._beside import start_suites as start

    return start(root, extract_date, beside=beside)
