"""Text from the returns, made safe for the places people read it.

Values in a council's returns are hostile input to anything that interprets text: rich reads
``[/notes]`` as a closing tag (and crashes) and erases ``[n/a]`` as an unknown style; a newline
or a NUL byte splits a one-line error in two; a long value (a 903 row whose unbalanced quote
swallowed the rest of the file) prints other children's rows; spreadsheet programs run a CSV
cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula. Every message and every CSV written
for people goes through this module:

* :func:`shown` - one value from the returns inside a message: one line, bounded, no "nan";
* :func:`single_line` - a whole message (that may embed such values) as one bounded line;
* :func:`cell` - a rich table cell that is never parsed as markup and never reads "nan"/"None";
* :func:`neutralise_formulas` - a frame's text cells made inert for spreadsheets (OWASP:
  prefix a single quote), numbers left as numbers;
* :func:`people_csv` - the one way driftflag writes a CSV for people: neutralised, every text
  cell quoted (a bare carriage return inside a value would otherwise split the row).
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported lazily: the CLI imports this module on every start
    import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "VALUE_LIMIT",
    "cell",
    "is_missing",
    "neutralise_formula",
    "neutralise_formulas",
    "people_csv",
    "say",
    "shown",
    "single_line",
    "text_table",
]

#: Longest value shown in a message: enough to recognise a code, a date or an id; too short to
#: carry another child's row.
VALUE_LIMIT = 40
#: Longest message printed.
MESSAGE_LIMIT = 600
ELLIPSIS = "…"

#: First characters that make a spreadsheet treat a CSV cell as a formula (OWASP "CSV
#: injection": = + - @, tab and carriage return).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA and NaT (every spelling of "no value")."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str | bytes | int):
        return False
    pd = sys.modules.get("pandas")  # a pandas missing value implies pandas is loaded
    if pd is None:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays and other containers are values, not missing
        return False


def _escape_char(ch: str) -> str:
    if ch.isprintable():
        return ch
    if ch in _NAMED:
        return _NAMED[ch]
    # control, format (bidi overrides, zero-width), separators other than the space (a
    # no-break space from Excel is worth seeing), surrogates, private use, unassigned
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _escape(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) for ch in text)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def single_line(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` as one printable line of at most ``limit`` characters.

    Newlines, tabs, NUL and other control or invisible characters are shown escaped (``\\n``,
    ``\\x00``), never acted on; a longer text ends with an ellipsis. Markup is left as typed:
    print the result with ``markup=False`` or as a :class:`rich.text.Text`.
    """
    return _truncate(_escape(str(text)), limit)


def shown(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A value from the returns as it appears in a message: one line, at most ``limit``
    characters, ``blank`` when there is no value (never "nan", "None" or "NaT")."""
    if is_missing(value):
        return "blank"
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="backslashreplace")
    return single_line(value, limit)


def cell(value: Any, *, digits: int | None = None, limit: int = 80, style: str = ""):
    """A rich table cell: a :class:`rich.text.Text` (never parsed as markup), empty for a
    missing value, floats with ``digits`` decimals when given."""
    from rich.text import Text

    if is_missing(value):
        return Text("", style=style)
    if digits is not None and isinstance(value, float) and not isinstance(value, bool):
        return Text(f"{value:.{digits}f}", style=style)
    return Text(single_line(value, limit), style=style)


def say(console, text: Any, *, style: str | None = None, one_line: bool = False) -> None:
    """Print ``text`` on a rich ``console`` as plain text: no markup, emoji codes or
    highlighting is read from it; control characters are shown escaped. ``one_line`` also
    stops rich from wrapping it (errors: one line, whatever the terminal width)."""
    from rich.text import Text

    console.print(Text(single_line(text, MESSAGE_LIMIT if one_line else 10 * MESSAGE_LIMIT), style=style or ""),
                  soft_wrap=one_line)


def text_table(frame: pd.DataFrame) -> str:
    """``frame`` as a plain-text table for a terminal: text cells through :func:`shown` (one
    line each), missing values as ``-`` (never "nan", "None" or "<NA>"), floats as pandas
    prints them."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype.kind != "f":
            out[name] = out[name].astype(object).map(
                lambda v: "-" if is_missing(v) else shown(v, 60) if isinstance(v, str) else v)
    return out.to_string(index=False, na_rep="-")


def neutralise_formula(value: Any) -> Any:
    """A text value starting like a formula gets a leading ``'``; everything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` safe to write as a CSV for people: the text cells of object and string
    columns neutralised with :func:`neutralise_formula`; numeric columns (``-0.5``) untouched,
    and so are the column names unless they start like a formula."""
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype) \
                or isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = col.astype("object").map(neutralise_formula)
    out.columns = [neutralise_formula(c) for c in out.columns]
    return out


def people_csv(frame: pd.DataFrame, path=None, *, index: bool = False) -> str:
    """``frame`` as CSV text for people (written to ``path`` too when given, UTF-8).

    Text cells go through :func:`neutralise_formulas` and are always quoted; numbers are
    written bare, so ``-0.5`` stays a number; line ends are ``\\n``. Python's csv module does
    not quote a value holding a lone ``\\r`` under minimal quoting, and a spreadsheet starts a
    new row there.
    """
    import csv
    from pathlib import Path

    text = neutralise_formulas(frame).to_csv(index=index, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8", newline="")
    return text
