"""Child population shares by ethnic major group: the denominators of the relative rate index.

The default file ``driftflag/data/population_ethnicity_england.csv`` holds England's state-school
pupils 2020/21 by major group (``data-standards.md`` §6.4, DfE permalink table), regrouped the DfE
children-in-need way (Chinese under "Other", as :mod:`driftflag.casemodel.codes`). Pupils are not
the 0-17 population (no under-5s, no independent schools): a council should replace the file with
its own school-census or ONS Census 2021 figures (columns ``group,share``; shares are
renormalised).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from driftflag.casemodel.codes import ETHNIC_MAJOR_GROUPS
from driftflag.fairness._errors import FairnessConfigError

__all__ = ["DEFAULT_POPULATION_FILE", "load_population_shares"]

DEFAULT_POPULATION_FILE = "population_ethnicity_england.csv"


def load_population_shares(path: Path | None = None) -> tuple[pd.Series, str]:
    """Shares by major group (summing to 1) and the file's source note.

    Raises :class:`FairnessConfigError` on an unreadable file, an unknown group or a share that
    is not a positive number. "Not known" has no population share (it is a recording category).
    """
    try:
        if path is None:
            text = resources.files("driftflag").joinpath(f"data/{DEFAULT_POPULATION_FILE}").read_text(
                encoding="utf-8")
            name = DEFAULT_POPULATION_FILE
        else:
            text = Path(path).read_text(encoding="utf-8")
            name = str(path)
    except OSError as e:
        raise FairnessConfigError(f"population shares file {path}: {e.strerror}") from e
    import io

    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    source = " ".join(ln[1:].strip() for ln in text.splitlines() if ln.startswith("#"))
    try:
        df = pd.read_csv(io.StringIO("\n".join(lines)))
    except (ValueError, pd.errors.ParserError) as e:
        raise FairnessConfigError(f"population shares file {name}: not a CSV ({e})") from e
    if not {"group", "share"} <= set(df.columns):
        raise FairnessConfigError(f"population shares file {name}: needs columns group,share")
    unknown = set(df["group"]) - set(ETHNIC_MAJOR_GROUPS) - {"Not known"}
    if unknown:
        raise FairnessConfigError(
            f"population shares file {name}: unknown groups {sorted(unknown)}; use "
            f"{', '.join(g for g in ETHNIC_MAJOR_GROUPS if g != 'Not known')}")
    share = pd.to_numeric(df["share"], errors="coerce")
    if share.isna().any() or (share <= 0).any():
        raise FairnessConfigError(f"population shares file {name}: shares must be positive")
    s = pd.Series(share.to_numpy(), index=df["group"].to_numpy(), name="share")
    s = s[s.index != "Not known"]
    return s / s.sum(), source or name
