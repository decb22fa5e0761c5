"""Writers that turn canonical tables into the real statutory return files.

Layout under an LA folder ``DIR`` (collection year 2026 = 1 April 2025 - 31 March 2026, label
``2025-26``)::

    DIR/ssda903/<label>/{header,episodes,uasc,missing,reviews,sw_episodes,oc3}.csv
                                                    (or ssda903_<label>.xml, the XML form)
    DIR/cin_census/cin_census_<label>.xml
    DIR/annex_a/annex_a_<extract date ISO>.xlsx     the latest month end (write_annex_a_series)
    DIR/annex_a/annex_a_<date>_list_<n>.csv         earlier month ends, CSV exports of each list
    DIR/audits/qa_audit_log.xlsx

Each ``write_*`` builds the return-format frames, hands them to an optional messy-fault injector
(:class:`driftflag.synth.messy.MessyInjector`), then serialises them. Output is byte-identical
for the same store (no wall-clock times, fixed xlsx creation date, sorted rows).
"""

from driftflag.synth.writers.annex_a import build_annex_a, write_annex_a, write_annex_a_series
from driftflag.synth.writers.audit_log import build_audit_log, write_audit_log
from driftflag.synth.writers.cin_census import CinCensus, build_cin_census, write_cin_census
from driftflag.synth.writers.ssda903 import build_903_tables, write_ssda903

__all__ = [
    "CinCensus",
    "build_903_tables",
    "build_annex_a",
    "build_audit_log",
    "build_cin_census",
    "write_annex_a",
    "write_annex_a_series",
    "write_audit_log",
    "write_cin_census",
    "write_ssda903",
]
