"""SSDA903 as XML (root ``<EXPSSDA903>``): streamed into the same tables as the CSV form.

Some case management systems export the 903 return as one XML file instead of CSV tables. The
layout is the one csc-validator-be-903 reads (``lac_validator/ingress.py``,
``read_xml_from_text``) and csc-data-synthesizer writes (``cscsynth/xml.py``)::

    <EXPSSDA903>
      <CHILD>
        <HEADER>
          <CHILDID>..</CHILDID> <SEX/> <DOB>dd/mm/yyyy</DOB> <ETHNIC/> <UPN/> <MOTHER/> <MC_DOB/>
          <UASC/> <DUC/>                              (the UASC table)
          <IN_TOUCH/> <ACTIV/> <ACCOM/>               (OC3, care leavers)
          <DATE_INT/> <DATE_MATCH/> ... <LS_ADOPTR/>  (AD1)
          <AREVIEW>..</AREVIEW> <AMISSING>..</AMISSING> <OC2>..</OC2>
          <PERMANENCE>..</PERMANENCE> <AD_PLACED>..</AD_PLACED>
        </HEADER>
        <EPISODE> <DECOM/> <RNE/> <LS/> <CIN/> <PL/> ... </EPISODE>
      </CHILD>
    </EXPSSDA903>

``CHILDID`` is the CSV's ``CHILD`` and ``PL`` its ``PLACE``. The repeating blocks (``AREVIEW``,
``AMISSING``, ``OC2``, ``PERMANENCE``, ``AD_PLACED``, ``SWEPISODE``) are read inside ``HEADER``
or directly inside ``CHILD``, as exports differ. Each table row gets the child's ``CHILD``,
``SEX`` and ``DOB`` from its header, as the CSV tables repeat them.

Each row's ``_source_row`` is its element path under the root (``CHILD[3]/EPISODE[2]``; the
header's UASC, OC3 and AD1 fields as ``CHILD[3]/HEADER/UASC`` and so on), so a quarantined row
names where it is. A leaf repeated inside one block with a different value cannot be read as
written: the row keeps the first value and is quarantined (``repeated_element``), never merged
silently. Blocks of an unknown name are counted and logged (one line), not read.

The file is streamed with :func:`lxml.etree.iterparse`; each ``CHILD`` is cleared once read, so
memory holds one child's tree plus the output rows.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from lxml import etree

from driftflag.errors import SourceFileError
from driftflag.ingest._common import STR_DTYPE, file_nul_reason, one_line
from driftflag.ingest._tabular import add_problem_columns

logger = logging.getLogger(__name__)

ROOT = "EXPSSDA903"
#: Table name a detected XML 903 file gets in :class:`~driftflag.ingest.detect.SourceFile`.
XML_TABLE = "xml"

#: XML leaf names that differ from the CSV column names.
_RENAME = {"CHILDID": "CHILD", "PL": "PLACE"}
#: Repeating blocks and the table each one is a row of.
BLOCKS: dict[str, str] = {
    "EPISODE": "episodes", "AREVIEW": "reviews", "AMISSING": "missing", "OC2": "oc2",
    "PERMANENCE": "prev_perm", "AD_PLACED": "placed_adoption", "SWEPISODE": "sw_episodes",
}
#: Tables read from the header's own fields, with the fields whose presence makes a row.
HEADER_GROUPS: dict[str, tuple[str, ...]] = {
    "uasc": ("UASC", "DUC"),
    "oc3": ("IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
}
_NOT_UASC = {"0", "N", "NO", "FALSE"}
_CHILD_FIELDS = ("CHILD", "SEX", "DOB")
_MSG_REPEATED = "{path}: <{tag}> appears twice in this block with different values ('{first}' and " \
                "'{second}'); the row is kept with the first and quarantined"


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _text(el: etree._Element) -> str | None:
    t = "".join(el.itertext())
    t = t.strip()
    return t or None


class _Rows:
    """Rows of every table, accumulated one ``CHILD`` at a time."""

    def __init__(self, columns: dict[str, tuple[str, ...]]):
        self.columns = columns
        self.rows: dict[str, list[list[str | None]]] = {t: [] for t in columns}
        self.where: dict[str, list[str]] = {t: [] for t in columns}
        self.problems: dict[str, list[tuple[str, str, str, str] | None]] = {t: [] for t in columns}
        self.unknown: dict[str, int] = {}

    def add(self, table: str, values: dict[str, str | None], path: str,
            problem: tuple[str, str, str, str] | None) -> None:
        self.rows[table].append([values.get(c) for c in self.columns[table]])
        self.where[table].append(path)
        self.problems[table].append(problem)

    def leaves(self, block: etree._Element, path: str) -> tuple[dict[str, str | None], tuple | None]:
        """The block's leaf values by CSV column name, and the first repeated-leaf problem."""
        values: dict[str, str | None] = {}
        problem = None
        for el in block:
            if len(el):
                continue
            name = _local(el.tag)
            if not name:
                continue
            name = _RENAME.get(name, name)
            v = _text(el)
            if name in values:
                if values[name] != v and problem is None:
                    first, second = one_line(values[name] or "", 60), one_line(v or "", 60)
                    problem = ("repeated_element", name, second,
                               _MSG_REPEATED.format(path=path, tag=el.tag if isinstance(el.tag, str) else name,
                                                    first=first, second=second))
                continue
            values[name] = v
        return values, problem

    def child(self, el: etree._Element, path: str) -> None:
        header_el = None
        blocks: list[tuple[str, etree._Element, str]] = []
        direct: list[etree._Element] = []
        for sub in el:
            name = _local(sub.tag)
            if name == "HEADER" and header_el is None:
                header_el = sub
            elif name in BLOCKS:
                blocks.append((name, sub, path))
            elif name and len(sub) == 0:
                direct.append(sub)
            elif name:
                self.unknown[name] = self.unknown.get(name, 0) + 1
        head_path = f"{path}/HEADER"
        if header_el is not None:
            header, problem = self.leaves(header_el, head_path)
            for sub in header_el:
                name = _local(sub.tag)
                if name in BLOCKS:
                    blocks.append((name, sub, head_path))
                elif name and len(sub):
                    self.unknown[name] = self.unknown.get(name, 0) + 1
        else:
            header, problem = {}, None
        for d in direct:  # leaves written directly under CHILD count as header fields
            name = _RENAME.get(_local(d.tag), _local(d.tag))
            header.setdefault(name, _text(d))
        self.add("header", header, head_path, problem)
        base = {c: header.get(c) for c in _CHILD_FIELDS}
        for table, fields in HEADER_GROUPS.items():
            present = [f for f in fields if header.get(f) is not None]
            if table == "uasc":
                present = [f for f in present if not (f == "UASC" and str(header[f]).upper() in _NOT_UASC)]
            if present:
                self.add(table, {**header, **base}, f"{head_path}/{table.upper()}", problem)
        counts: dict[tuple[str, str], int] = {}
        for name, block, parent in blocks:
            counts[name, parent] = k = counts.get((name, parent), 0) + 1
            where = f"{parent}/{name}[{k}]"
            values, bproblem = self.leaves(block, where)
            # the block's own values win; CHILD, SEX and DOB come from the header
            self.add(BLOCKS[name], {**values, **{c: v for c, v in base.items() if v is not None}}, where,
                     bproblem)

    def frames(self, source: str) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for table, cols in self.columns.items():
            rows = self.rows[table]
            data = list(zip(*rows, strict=True)) if rows else [()] * len(cols)
            df = pd.DataFrame({c: pd.array(list(v), dtype=STR_DTYPE) for c, v in zip(cols, data, strict=True)},
                              columns=list(cols))
            df["_source_file"] = pd.Series([source] * len(df), dtype=STR_DTYPE)
            df["_source_row"] = pd.Series(self.where[table], dtype=STR_DTYPE)
            add_problem_columns(df, self.problems[table])
            out[table] = df
        return out


def xml_root(path: Path) -> str | None:
    """Local name of an XML file's root element, read from its first tag (None if unreadable)."""
    try:
        for _, el in etree.iterparse(str(path), events=("start",), resolve_entities=False, no_network=True):
            return _local(el.tag)
    except (etree.XMLSyntaxError, OSError):
        return None
    return None


def read_903_xml(path: Path) -> dict[str, pd.DataFrame]:
    """Read a 903 XML file into the 903 tables, each shaped like :func:`read_903_csv` gives.

    Returns one frame per table of :data:`driftflag.ingest.ssda903.TABLE_COLUMNS_903` (tables
    the file does not hold are empty), string-valued, with ``_source_file``, ``_source_row``
    (the element path) and the ``_read_*`` problem columns. Every ``CHILD`` gives one header
    row; the number of rows over all tables is the number of records in the file.

    Raises
    ------
    SourceFileError
        If the file is missing, not well-formed XML (a truncated file included), or its root is
        not ``<EXPSSDA903>``.
    """
    from driftflag.ingest.ssda903 import TABLE_COLUMNS_903

    path = Path(path)
    if not path.is_file():
        raise SourceFileError(str(path), "file not found")
    rows = _Rows(TABLE_COLUMNS_903)
    depth = 0
    n_child = 0
    context = etree.iterparse(str(path), events=("start", "end"), resolve_entities=False, no_network=True,
                              huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        for event, el in context:
            if event == "start":
                if depth == 0 and _local(el.tag) != ROOT:
                    raise SourceFileError(str(path), f"root element is <{one_line(_local(el.tag), 40)}>, "
                                                     f"expected <{ROOT}>")
                depth += 1
                continue
            depth -= 1
            if depth != 1:
                continue
            if _local(el.tag) == "CHILD":
                n_child += 1
                rows.child(el, f"CHILD[{n_child}]")
            elif len(el):
                rows.unknown[_local(el.tag)] = rows.unknown.get(_local(el.tag), 0) + 1
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as e:
        reason = file_nul_reason(path)
        raise SourceFileError(str(path), reason or f"not a readable XML file ({one_line(e.msg or e)})") from e
    except OSError as e:
        raise SourceFileError(str(path), f"cannot read file ({one_line(e)})") from e
    if rows.unknown:
        logger.warning("%s: blocks of unknown name not read: %s", path,
                       ", ".join(f"<{one_line(k, 30)}> x{v}" for k, v in sorted(rows.unknown.items())))
    logger.debug("903 XML %s: %d children", path, n_child)
    return rows.frames(str(path))
