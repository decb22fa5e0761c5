"""Plain CSV exports read by pyarrow's parser, the same frame as the careful reader's.

A council's monthly Annex A exports are millions of lines (48 extracts of ten lists at 150,000
children: eight million rows), and nearly all of them are *plain*: ASCII text, one record per line
(values with a comma wholly quoted, no quote anywhere else), every line as wide as the header, the header on the first line. For such a
file the careful reader (:func:`driftflag.ingest._tabular.parse_csv` then
:func:`~driftflag.ingest._tabular.records_to_frame`) does per-line Python work that can
change nothing: no quote can span lines, no line can be short or long, no value can need the
cp1252 fallback. Here those files are parsed in C by ``pyarrow.csv`` and trimmed and blanked
column by column, giving the frame ``records_to_frame`` gives, value for value and dtype for
dtype (tested against it on random files, ``tests/ingest/test_plain_csv.py``).

Every file that is not plain, for any reason, is left to the careful reader: :func:`read_plain`
returns None and nothing else happens, so a damaged file still gets its one clear line per
problem row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from driftflag.ingest._common import STR_DTYPE, constant_text
from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS

_BOM = b"\xef\xbb\xbf"
#: ASCII bytes Python's ``str.strip`` treats as whitespace and pyarrow's
#: ``ascii_trim_whitespace`` does not (or that :func:`_tabular._physical_lines` reads as line
#: ends): a file holding one is read by the careful reader.
_ODD_BYTES = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")

@dataclass
class PlainCsv:
    """A plain CSV file: its header (first line) and every line after it, as text columns
    (``columns[i]`` is the i-th field of every data line, trimmed, blanks null)."""

    header: list[str | None]
    columns: list  # pyarrow arrays, one per field

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def head_records(self, n: int) -> list[list[str | None]]:
        """The first ``n`` records (header first) as the careful reader gives them."""
        rows = [list(self.header)]
        take = max(0, min(n - 1, self.n_rows))
        cols = [c.slice(0, take).to_pylist() for c in self.columns]
        rows.extend([list(r) for r in zip(*cols, strict=True)] if cols else [])
        return rows

    def frame(self, columns: dict[int, str], *, source_file: str, source_table: str) -> pd.DataFrame:
        """:func:`driftflag.ingest._tabular.records_to_frame` of this file with the header on
        the first line: ``columns`` maps field positions to names; wholly blank lines are
        skipped; ``_source_row`` is the line's number after the header; no read problems."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        blank = None
        for c in self.columns:
            b = pc.is_null(c)
            blank = b if blank is None else pc.and_(blank, b)
        keep = (np.ones(self.n_rows, dtype=bool) if blank is None
                else ~blank.to_numpy(zero_copy_only=False).astype(bool))
        where = np.flatnonzero(keep)
        idx = None if len(where) == self.n_rows else pa.array(where)  # no blank line: nothing to pick
        data = {name: pd.array((self.columns[pos] if idx is None else self.columns[pos].take(idx))
                               .cast(pa.large_string()), dtype=STR_DTYPE)
                for pos, name in columns.items()}
        df = pd.DataFrame(data, columns=list(columns.values()))
        n = len(where)
        df["_source_file"] = constant_text(source_file, n).array
        df["_source_table"] = constant_text(source_table, n).array
        df["_source_row"] = pd.array(pa.array(where + 1).cast(pa.large_string()), dtype=STR_DTYPE)
        for col in READ_PROBLEM_COLUMNS:
            df[col] = constant_text(None, n).array
        return df


def _plain_bytes(raw: bytes) -> bytes | None:
    """``raw`` without its BOM and with ``\\n`` line ends if the file is plain, else None."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    if not raw or not raw.isascii() or b"\x00" in raw or any(b in raw for b in _ODD_BYTES):
        return None
    if b"\r" in raw:
        if raw.count(b"\r") != raw.count(b"\r\n"):
            return None  # a lone carriage return is a line end to the careful reader
        raw = raw.replace(b"\r\n", b"\n")
    if raw.startswith(b"\n") or b"\n\n" in raw:
        return None  # blank lines: pyarrow skips them, the careful reader counts them
    if not _well_quoted(raw):
        return None
    return raw


def _well_quoted(data: bytes) -> bool:
    """Whether every quote in ``data`` is where strict CSV puts it: a quoted value opens right
    after a comma or a line start, doubles the quotes inside it, closes right before a comma or
    a line end, and never holds a line end. Quoting is where pyarrow and Python's ``csv`` (the
    careful reader's parser) could read a line differently, so a file with any other quote is
    left to the careful reader.

    Vectorised over runs of consecutive quotes: a value is open after a run exactly when the
    quotes before the run's end are odd in number, so each run is checked from its length, the
    count before it and its two neighbours."""
    import numpy as np

    if b'"' not in data:  # one scan in C, not an array of every byte
        return True
    buf = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buf == ord('"'))
    if not len(quotes):
        return True
    ends = np.flatnonzero(buf == ord("\n"))
    if (np.searchsorted(quotes, ends) % 2).any() or len(quotes) % 2:
        return False  # a value open at a line end or the file's end
    first = np.r_[True, quotes[1:] != quotes[:-1] + 1]
    starts = np.flatnonzero(first)  # index in ``quotes`` of each run's first quote
    length = np.diff(np.r_[starts, len(quotes)])
    at = quotes[starts]
    before = np.where(at > 0, buf[np.maximum(at - 1, 0)], ord("\n"))
    after_at = at + length
    after = np.where(after_at < len(buf), buf[np.minimum(after_at, len(buf) - 1)], ord("\n"))
    edge_before = (before == ord(",")) | (before == ord("\n")) | (at == 0)
    edge_after = (after == ord(",")) | (after == ord("\n"))
    outside = starts % 2 == 0  # quotes before the run: even -> no value open
    closes = np.where(outside, length % 2 == 0, length % 2 == 1)
    return bool((~outside | edge_before).all() and (~closes | edge_after).all())


def read_plain(path: Path) -> PlainCsv | None:
    """The file at ``path`` as a :class:`PlainCsv`, or None when it is not plain (see the
    module's docstring) or cannot be read; the careful reader then reads it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    data = _plain_bytes(raw)
    if data is None:
        return None
    first = data.split(b"\n", 1)[0]
    width = first.count(b",") + 1
    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, null_values=[]))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # a line of another width: the careful reader names it
    if table.num_rows != data.count(b"\n") + (not data.endswith(b"\n")):
        return None  # a record over several lines
    cols = []
    for n in names:
        c = pc.ascii_trim_whitespace(table.column(n).combine_chunks())
        cols.append(pc.if_else(pc.equal(pc.binary_length(c), 0), pa.scalar(None, pa.string()), c))
    if not table.num_rows:
        return None
    header = [c[0].as_py() for c in cols]
    data_cols = [c.slice(1) for c in cols]
    if not header or header[-1] is None:
        return None  # trailing blank header cells: the careful reader decides the width
    return PlainCsv(header=header, columns=data_cols)
