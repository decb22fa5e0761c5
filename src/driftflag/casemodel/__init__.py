"""Canonical case model: code lists, table schemas and the Parquet case store."""

from driftflag.casemodel.schema import SCHEMA_VERSION, TABLE_ORDER, TABLES, Column, Table, conform
from driftflag.casemodel.store import CaseStore, read_manifest, read_store, write_store

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "TABLE_ORDER",
    "Column",
    "Table",
    "conform",
    "CaseStore",
    "read_manifest",
    "read_store",
    "write_store",
]
