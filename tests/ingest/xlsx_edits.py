"""Workbooks damaged on purpose, shared by the reader tests: a real-format xlsx copied with its
sheet XML edited (a stale ``<dimension>``, rows renumbered, cell references moved)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import openpyxl


def rewrite_sheet(src: Path, dst: Path, edit: Callable[[bytes], bytes]) -> Path:
    """Copy workbook ``src`` to ``dst`` with ``edit`` applied to every worksheet's XML."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            data = zi.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = edit(data)
            zo.writestr(item, data)
    return dst


def stale_dimension(src: Path, dst: Path, ref: str = "A1") -> Path:
    """Copy a workbook with every sheet's ``<dimension>`` rewritten to ``ref``."""

    def edit(data: bytes) -> bytes:
        data, n = re.subn(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data)
        assert n == 1
        return data

    return rewrite_sheet(src, dst, edit)


def small_audit_log(path: Path, dates: Iterable[object]) -> Path:
    """A three-column audit log (sheet "Audits") with one row per date, saved by openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Audits"
    ws.append(["Audit ID", "Child Unique ID", "Audit Date"])
    for i, d in enumerate(dates, start=1):
        ws.append([f"A{i}", f"C{i}", d])
    wb.save(path)
    return path
