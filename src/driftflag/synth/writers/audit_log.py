"""The council's QA audit log (no statutory return carries it): ``DIR/audits/qa_audit_log.xlsx``.

One sheet, ``Audits``, one row per canonical ``audits`` row ordered by audit date then audit id,
with columns :data:`COLUMNS`. ``Audit Date`` is an Excel date cell (``dd/mm/yyyy``); ``Drift
Found`` and ``Actions Set`` are ``Yes``/``No``; ``Inclusion Probability`` is a number (blank when
unknown). Bytes are deterministic (fixed workbook creation date).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from driftflag.synth.writers._common import (
    bool_values,
    excel_serials,
    object_frame,
    str_values,
)
from driftflag.synth.writers._xlsx import XlsxSheet, write_workbook

if TYPE_CHECKING:
    from driftflag.casemodel import CaseStore
    from driftflag.synth.messy import MessyInjector

SHEET = "Audits"
COLUMNS: tuple[str, ...] = (
    "Audit ID", "Child Unique ID", "Audit Date", "Auditor", "Team", "Service", "Grade",
    "Drift Found", "Selection Reason", "Inclusion Probability", "Actions Set",
)
DATE_COLUMNS: tuple[str, ...] = ("Audit Date",)
RELATIVE_PATH = "audits/qa_audit_log.xlsx"


def build_audit_log(store: CaseStore) -> XlsxSheet:
    """The ``Audits`` sheet as an :class:`XlsxSheet` (no file written)."""
    a = store["audits"].sort_values(["audit_date", "audit_id"], kind="mergesort")
    a = a.reset_index(drop=True)
    frame = object_frame({
        "Audit ID": str_values(a["audit_id"]),
        "Child Unique ID": str_values(a["child_id"]),
        "Audit Date": excel_serials(a["audit_date"]).astype(object),
        "Auditor": str_values(a["auditor"]),
        "Team": str_values(a["team"]),
        "Service": str_values(a["service"]),
        "Grade": str_values(a["grade"]),
        "Drift Found": bool_values(a["drift_found"], "Yes", "No"),
        "Selection Reason": str_values(a["selection_reason"]),
        "Inclusion Probability": a["inclusion_probability"].to_numpy(dtype=float).astype(object),
        "Actions Set": bool_values(a["actions_set"], "Yes", "No"),
    }, list(COLUMNS))
    frame["Inclusion Probability"] = frame["Inclusion Probability"].where(
        ~pd.isna(frame["Inclusion Probability"]), np.nan)
    return XlsxSheet(name=SHEET, frame=frame, date_columns=DATE_COLUMNS)


def write_audit_log(store: CaseStore, out_dir: Path, *, faults: MessyInjector | None = None) -> Path:
    """Write ``out_dir/audits/qa_audit_log.xlsx`` and return its path."""
    sheet = build_audit_log(store)
    if faults is not None:
        sheet = faults.audit_log(sheet, file=RELATIVE_PATH)
    return write_workbook(Path(out_dir) / RELATIVE_PATH, [sheet])
