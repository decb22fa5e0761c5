"""Readers for the statutory returns: SSDA903 CSV tables and the CIN census XML.

Stage 1 readers are deliberately minimal: they parse every row into string-valued DataFrames
with its source location, never drop a row silently, and raise
:class:`~driftflag.errors.SourceFileError` only for files that cannot be read at all.
Stage 2 adds the Annex A and QA audit log readers, format detection by content, and the ingest
run (:func:`driftflag.ingest.run.ingest`: staging onto the canonical tables, row-level rules
and quarantine, reconciliation across returns and years, row accounting, Great Expectations);
see ``docs/ingest.md``.
"""

from driftflag.ingest._common import STR_DTYPE, keep_latest_year, year_from_label, year_label
from driftflag.ingest.annex_a import ANNEX_A_COLUMNS, read_annex_a
from driftflag.ingest.audit_log import AUDIT_COLUMNS, read_audit_log
from driftflag.ingest.cin_census import (
    CIN_TABLE_COLUMNS,
    CIN_TABLES,
    find_cin_files,
    read_cin_census,
    read_cin_years,
)
from driftflag.ingest.detect import SourceFile, detect_file, detect_sources
from driftflag.ingest.ssda903 import (
    DEDUPE_KEYS_903,
    TABLE_COLUMNS_903,
    find_903_year_folders,
    read_903_csv,
    read_903_folder,
    read_903_years,
)

__all__ = [
    "STR_DTYPE",
    "ANNEX_A_COLUMNS",
    "AUDIT_COLUMNS",
    "SourceFile",
    "detect_file",
    "detect_sources",
    "read_annex_a",
    "read_audit_log",
    "CIN_TABLES",
    "CIN_TABLE_COLUMNS",
    "DEDUPE_KEYS_903",
    "TABLE_COLUMNS_903",
    "find_903_year_folders",
    "find_cin_files",
    "keep_latest_year",
    "read_903_csv",
    "read_903_folder",
    "read_903_years",
    "read_cin_census",
    "read_cin_years",
    "year_from_label",
    "year_label",
]
