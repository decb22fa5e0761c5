"""Read written return files back, cell by cell, for the writer and messy-fault tests."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

import openpyxl
import pandas as pd
from lxml import etree

from driftflag.synth.writers import annex_a, audit_log, ssda903


def read_903(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def xlsx_rows(path: Path, sheet: str) -> list[list]:
    wb = openpyxl.load_workbook(path, read_only=False)
    rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    return rows


def cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def canonical_columns(file: str, table: str) -> tuple[str, ...]:
    if file.startswith("ssda903/"):
        return ssda903.COLUMNS[table]
    if file.startswith("annex_a/"):
        return annex_a.COLUMNS[table]
    return audit_log.COLUMNS


@lru_cache(maxsize=64)
def _xml(path: str):
    return etree.parse(path)


@lru_cache(maxsize=64)
def _csv(path: str) -> tuple[list[str], list[list[str]]]:
    df = read_903(Path(path))
    return list(df.columns), df.to_numpy(dtype=object).tolist()


@lru_cache(maxsize=16)
def _xlsx(path: str, sheet: str) -> list[list]:
    return xlsx_rows(Path(path), sheet)


def clear_caches() -> None:
    _xml.cache_clear()
    _csv.cache_clear()
    _xlsx.cache_clear()


def check_ledger_row(la_dir: Path, e: dict) -> None:
    """Assert the written file shows ledger entry ``e`` exactly where it says."""
    path = str(Path(la_dir) / e["file"])
    if e["file"].endswith(".xml"):
        tree = _xml(path)
        found = tree.xpath(e["row"])
        assert found, f"no element at {e['row']}"
        el = found[0]
        if e["fault"] == "duplicate_row":
            prev = el.getprevious()
            assert prev is not None and prev.tag == el.tag
            assert etree.tostring(prev) == etree.tostring(el), e
        else:
            assert el.tag == e["column"], e
            assert (el.text or "") == e["injected_value"], (e, el.text)
        return
    cols = canonical_columns(e["file"], e["table"])
    if e["file"].endswith(".csv"):
        header, rows = _csv(path)
    else:
        allrows = _xlsx(path, e["table"])
        header = [cell_text(v) for v in allrows[0]]
        rows = [[cell_text(v) for v in r] for r in allrows[1:]]
    r = int(e["row"])
    if e["fault"] == "header_variant":
        assert r == 0
        assert header[cols.index(e["column"])] == e["injected_value"], e
        return
    assert r >= 1
    row = rows[r - 1]
    if e["fault"] == "duplicate_row":
        assert row == rows[r - 2], e
        return
    assert row[cols.index(e["column"])] == e["injected_value"], (e, row)
