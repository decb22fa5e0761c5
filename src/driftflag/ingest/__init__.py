"""Readers for the statutory returns: SSDA903 CSV tables and the CIN census XML.

Stage 1 readers are deliberately minimal: they parse every row into string-valued DataFrames
with its source location, never drop a row silently, and raise
:class:`~driftflag.errors.SourceFileError` only for files that cannot be read at all.
Validation and quarantine come later.
"""

from driftflag.ingest._common import keep_latest_year, year_from_label, year_label
from driftflag.ingest.cin_census import (
    CIN_TABLE_COLUMNS,
    CIN_TABLES,
    find_cin_files,
    read_cin_census,
    read_cin_years,
)
from driftflag.ingest.ssda903 import (
    DEDUPE_KEYS_903,
    TABLE_COLUMNS_903,
    find_903_year_folders,
    read_903_csv,
    read_903_folder,
    read_903_years,
)

__all__ = [
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
