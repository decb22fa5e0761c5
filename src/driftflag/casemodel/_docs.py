"""Render ``docs/data-model.md`` from the canonical schema and the code lists.

The document is generated, never edited by hand, so it cannot drift from
:mod:`driftflag.casemodel.schema`: ``scripts/gen_docs.py`` writes it and
``tests/casemodel/test_docs.py`` checks that the committed file equals
:func:`render_data_model_markdown`. The only hand-written parts are the prose constants below
(what the returns carry only partly, and why Chinese is grouped under "Other").

Rendering is pure: it reads no files and no environment, and the same schema gives the same text.
"""

from __future__ import annotations

from datetime import date
from typing import get_args

from driftflag.casemodel import codes
from driftflag.casemodel.schema import SCHEMA_VERSION, TABLE_ORDER, TABLES, Column, Kind, Table

#: Where the section numbers (§) in the document point, relative to the repository root.
DATA_STANDARDS = "../shared/reference/data-standards.md"

#: Return keys used in ``Column.returns`` and the column headings they get, in table order.
RETURN_HEADINGS: tuple[tuple[str, str], ...] = (
    ("903", "SSDA903"),
    ("CIN", "CIN census"),
    ("AnnexA", "Annex A"),
)

#: Protected characteristics: kept in ``children`` only, joined in for fairness audits, never
#: model inputs by default (the detail columns travel with the characteristic they describe).
PROTECTED_COLUMNS: tuple[str, ...] = (
    "sex", "ethnicity", "disability", "disability_codes", "uasc", "uasc_ceased_date",
)

#: What the returns carry only in part. Each entry names the tables (``"visits"``) or columns
#: (``"lac_episodes.pl_distance"``) it is about and says what is missing; the test checks that
#: every name still exists in the schema. Columns no return carries at all are listed from the
#: schema itself, not here.
PARTIAL_COVERAGE_NOTES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("visits",),
        "Only the latest visit per child, and only through Annex A: L6 `Date Child Was Last "
        "Seen`, L7 `Date of the Last Statutory Visit` (with `Was the Child Seen Alone?`) and L8 "
        "`Date of Last Social Work Visit`. `visit_type` is implied by the list the date came "
        "from. Neither the 903 nor the CIN census carries visits; the visit history comes from "
        "the council's case management system.",
    ),
    (
        ("cp_reviews.review_date",),
        "The CIN census carries the review conferences of plans open in the census year "
        "(`Reviews/CPPreviewDate`); Annex A carries only the latest review conference.",
    ),
    (
        ("lac_reviews.review_date",),
        "The 903 carries the reviews held in the collection year; Annex A only the latest "
        "statutory review.",
    ),
    (
        ("missing_episodes.rhi_offered", "missing_episodes.rhi_accepted"),
        "Return home interviews are in Annex A only, and only for the child's last missing "
        "episode; the 903 `Missing` table has no return interview fields. Each list 8 answer "
        "joins the child's latest missing episode started by the extract date, known from the "
        "first extract answering (`rhi_known_from`); an episode no extract answered for stays "
        "blank.",
    ),
    (
        ("pre_proceedings",),
        "Only from the 2025-26 CIN census (`PreProceedingsandFGDM` block, data-standards §3.3). "
        "Earlier years have no national child-level PLO data: pre-proceedings before 2025-26 "
        "come from the council's own PLO tracker or are absent. The `PPOutcome` code list is "
        "not yet verified (data-standards §9).",
    ),
    (
        ("care_proceedings.application_date", "care_proceedings.final_order_date"),
        "The application date is `CourtAppDate` in the 2025-26 CIN census only. Before that, "
        "and for the final order date always, the 903 gives a proxy: the start and end of "
        "legal status C1 (interim care order).",
    ),
    (
        ("care_proceedings.final_order",),
        "No return records the final order made; it comes from the council's legal or court "
        "records. Legal status after C1 (C2, E1) and the 903 `REC` code only hint at it.",
    ),
    (
        ("audits",),
        "Case audits come from the council's QA audit log (an xlsx workbook), not from any "
        "return.",
    ),
    (
        ("allocations",),
        "Allocation history is carried only in part: Annex A gives the team and worker "
        "allocated at the time of the extract (no dates: ingest keeps each extract's allocation "
        "valid from its extract date to the next change, so monthly extracts build a month-end "
        "history), and the 903 `SWEpisodes` table gives social worker episodes for looked-after "
        "children only. The CIN census has none. Full history for CIN and CP cases comes from "
        "the case management system.",
    ),
    (
        ("workers",),
        "Annex A names the allocated worker and team; no return carries a worker's service or "
        "start and end dates.",
    ),
    (
        ("lac_episodes.pl_distance",),
        "Derived, not returned: miles between the `HOME_POST` and `PL_POST` postcode sectors, "
        "computed as the 903 validator computes `PL_DISTANCE` (data-standards §2.1).",
    ),
    (
        ("children.uasc", "children.uasc_ceased_date"),
        "The 903 `UASC` table covers looked-after children only; the CIN census shows UASC "
        "only as assessment factor 9A.",
    ),
    (
        (),
        "History before the earliest return year: each return describes one collection year "
        "(Annex A a recent period before an inspection), so events that ended before the "
        "earliest return a council supplies are missing. Counts such as "
        "`cp_plans.number_of_previous_cpp` are the only trace of that earlier history.",
    ),
)

#: Why Chinese is grouped under "Other" (see the comment on ``codes.ETHNIC_MAJOR_GROUP``).
CHINESE_GROUPING_NOTE = (
    "**Chinese (`CHNE`) is grouped under \"Other\", not \"Asian\".** The DfE children-in-need and "
    "children-looked-after statistics put Chinese under \"Other ethnic groups\" (footnote to EES "
    "data set \"A4 Children in need by ethnicity\", data-standards §5.1), whereas the school "
    "census classes it as \"Asian - Chinese\". driftflag follows the DfE because the national "
    "figures it is calibrated and compared against are DfE CIN and CLA statistics; mixing the "
    "two conventions would shift the Asian and Other shares. data-standards §8 (item 4) asks "
    "for this choice to be documented."
)


def _cell(text: str) -> str:
    """Make ``text`` safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(name: str) -> str:
    return f"`{name}`"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table_md(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row([_cell(c) for c in r]) for r in rows)]


def _code_values(list_name: str) -> list[str]:
    values = getattr(codes, list_name)
    return sorted(values) if isinstance(values, frozenset | set) else list(values)


def _code_lists_used() -> list[str]:
    seen: list[str] = []
    for name in TABLE_ORDER:
        for col in TABLES[name].columns:
            if col.codes and col.codes not in seen:
                seen.append(col.codes)
    return seen


def _tables_with(column: str) -> list[str]:
    return [n for n in TABLE_ORDER if column in TABLES[n].column_names]


def _intro() -> list[str]:
    table_files = "\n".join(f"  {n}.parquet" for n in TABLE_ORDER)
    return [
        "# driftflag data model",
        "",
        "<!-- Generated by scripts/gen_docs.py from src/driftflag/casemodel/schema.py "
        "and codes.py. Do not edit by hand: change the schema, then run "
        "`.venv/bin/python scripts/gen_docs.py`. -->",
        "",
        f"Schema version **{SCHEMA_VERSION}**. Section references (§) are to "
        f"`{DATA_STANDARDS}` (the path is relative to the repository root).",
        "",
        "## The case store",
        "",
        "Everything driftflag knows about a council's cases is held in a *case store*: a folder "
        "with one Parquet file per canonical table and a `manifest.json` "
        "(`driftflag.casemodel.store`).",
        "",
        "```text",
        "STORE/",
        "  .driftflag-store     marker: a driftflag store (kind, version, what driftflag wrote)",
        "  manifest.json",
        table_files,
        "  records/             what people recorded: audit ledger, issued worklists",
        "```",
        "",
        "`manifest.json` records:",
        "",
        "- `schema_version`: the version of this schema the store was written with. A store whose "
        "major version differs from the installed driftflag's is refused; re-run the ingest.",
        "- `row_counts`: rows per table.",
        "- `sources`: the source files the store was built from, with their SHA-256 hashes.",
        "- `created_at`: the creation time, passed in explicitly (the wall-clock time for a real "
        "ingest, the extract date for synthetic data) so that the same inputs give a "
        "byte-identical store.",
        "",
        "A store is written atomically: it is built in a temporary folder beside the destination "
        "and then swapped into place, so a failed run leaves the previous store as it was. Every "
        "table is always present, empty when there is no data for it. driftflag writes a store "
        "only where there is nothing, an empty folder or a store, and carries `records/` (the "
        "append-only audit ledger of `driftflag.casemodel.ledger` and the issued worklists) "
        "into every new store, so a re-ingest never loses what people recorded (`docs/ingest.md`).",
        "",
    ]


def _conventions() -> list[str]:
    with_child = _tables_with("child_id")
    without_child = [n for n in TABLE_ORDER if n not in with_child]
    with_referral = _tables_with("referral_id")
    kinds = [[k, _code(Column("x", k, "").dtype)] for k in get_args(Kind)]
    protected = ", ".join(_code(c) for c in PROTECTED_COLUMNS)
    lines = [
        "## Conventions",
        "",
        "- **Dates** are `datetime64[ns]` at midnight: no return records a time of day. An event "
        "that is still open has a missing end date (`NaT`).",
        "- **`child_id`**, the council's child identifier (903 `CHILD`, CIN `LAchildID`, Annex A "
        "`Child Unique ID`), is on every table that describes a child, so any event joins back "
        "to the child"
        + (
            f" (every table except {', '.join(_code(n) for n in without_child)})."
            if without_child
            else "."
        ),
        "- **`referral_id`** links an event to the CIN episode (the census `CINdetails` block, "
        f"opened by a referral) it belongs to, in {', '.join(_code(n) for n in with_referral)}.",
        "- **Codes** are plain strings. The *code list* column below names the list in "
        "`driftflag.casemodel.codes`; the lists are given at the end of this document.",
        f"- **Protected characteristics** ({protected}) are kept in `children` only. They are "
        "joined in for fairness audits and are **never model inputs by default**.",
        "- **Required** columns must have a value on every row; key columns are always "
        "required. Other columns may be blank.",
        "- Column types map to pandas dtypes as follows:",
        "",
        *_table_md(["Type", "pandas dtype"], kinds),
        "",
    ]
    return lines


def _ethnicity() -> list[str]:
    rows = [
        [
            _code(c),
            codes.ETHNICITY_LABELS[c],
            _code(codes.ANNEX_A_ETHNICITY_LABEL[c]),
            codes.ethnic_major_group(c),
        ]
        for c in codes.ETHNICITY_CODES
    ]
    return [
        "## Ethnicity: codes and major groups",
        "",
        f"`ethnicity` holds one of the {len(codes.ETHNICITY_CODES)} DfE codes "
        "(data-standards §2.2; Annex A uses the same codes as \"letter) CODE\" labels, §1.1). "
        "Fairness tables report "
        f"the major groups {', '.join(codes.ETHNIC_MAJOR_GROUPS)}. `REFU`, `NOBT`, a blank code "
        "and any unrecognised code are shown as \"Not known\", never dropped.",
        "",
        *_table_md(["Code", "Meaning", "Annex A label", "Major group"], rows),
        "",
        CHINESE_GROUPING_NOTE,
        "",
    ]


def _collection_years() -> list[str]:
    first, last = codes.collection_year_bounds(2025)
    return [
        "## Collection years",
        "",
        "A *collection year* is named by the year in which it ends, as the returns are: "
        f"collection year 2025 runs from {first.isoformat()} to {last.isoformat()} (the "
        "\"2024-25\" return). `codes.collection_year_of(d)` gives the year a date falls in "
        f"(31 March 2024 is in {codes.collection_year_of(date(2024, 3, 31))}, 1 April 2024 in "
        f"{codes.collection_year_of(date(2024, 4, 1))}) and `codes.collection_year_bounds(y)` "
        "its first and last day. Anything whose codes depend on the year takes a collection "
        "year.",
        "",
    ]


def _codes_by_year() -> list[str]:
    p24, p25, p26 = (codes.place_codes(y) for y in (2024, 2025, 2026))

    def diff(old: tuple[str, ...], new: tuple[str, ...]) -> str:
        added = [c for c in new if c not in old]
        removed = [c for c in old if c not in new]
        parts = []
        if added:
            parts.append("adds " + ", ".join(_code(c) for c in added))
        if removed:
            parts.append("removes " + ", ".join(_code(c) for c in removed))
        return " and ".join(parts)

    no_provider = ", ".join(_code(c) for c in sorted(codes.PLACE_WITHOUT_PROVIDER))
    return [
        "## Code lists by collection year",
        "",
        "Several code lists changed recently, so readers and writers ask `driftflag.casemodel."
        "codes` for the list of a given collection year instead of hard-coding one.",
        "",
        "- **903 `SEX`** was 1 = male, 2 = female before 2024-25 and is `M`, `F`, `U` from "
        "2024-25 (`codes.uses_letter_sex`; data-standards §2.2). The canonical `children.sex` "
        "is always M/F/U; the older numeric codes are mapped to it.",
        f"- **903 `PLACE`** (`codes.place_codes`): 2022-23 to 2023-24 has {len(p24)} codes. "
        f"2024-25 {diff(p24, p25)}. 2025-26 {diff(p25, p26)}: `Z1` is split into "
        f"`Z11`-`Z14` (data-standards §2.2). `lac_episodes.place` accepts the union of all "
        f"years (`ALL_PLACE_CODES`). `PLACE_PROVIDER` must be blank for {no_provider}.",
        "- **CIN census `GenderCurrent` -> `Sex`**: the 2024 schema had `GenderCurrent` (1 male, "
        "2 female, 0 not recorded or unborn, 9 indeterminate); from 2024-25 the field is `Sex` "
        "with `M`, `F`, `U`, and `U` is required for unborn children (data-standards §3.2).",
        "- **CIN census `PreProceedingsandFGDM`**: new in 2025-26, the first national "
        "child-level PLO data; it fills `pre_proceedings` (data-standards §3.3).",
        "- **903 `DoLo`** (deprivation of liberty orders) is added in 2026-27 and is not in the "
        "canonical model yet (data-standards §2.1).",
        "",
    ]


def _returns_cell(col: Column, key: str) -> str:
    value = col.returns.get(key)
    return _code(value) if value else ""


def _table_section(table: Table) -> list[str]:
    header = ["Column", "Type", "Required", "Code list", "Meaning",
              *(h for _, h in RETURN_HEADINGS)]
    rows = []
    for col in table.columns:
        required = "yes (key)" if col.name in table.key else ("yes" if col.required else "")
        rows.append([
            _code(col.name),
            col.kind,
            required,
            _code(col.codes) if col.codes else "",
            col.description,
            *(_returns_cell(col, k) for k, _ in RETURN_HEADINGS),
        ])
    key = ", ".join(_code(k) for k in table.key)
    return [
        f"### `{table.name}`",
        "",
        table.description,
        "",
        f"Primary key: {key}.",
        "",
        *_table_md(header, rows),
        "",
    ]


def _tables() -> list[str]:
    lines = [
        "## Tables",
        "",
        "One section per canonical table, in store order. The last three columns say where each "
        "value comes from in each return: a 903 field (`reviews.REVIEW` is the `REVIEW` field "
        "of the reviews table; a field without a table is in the episodes table), a CIN census "
        "element, or an Annex A column, where "
        "`L7 ...` is a column of Annex A list 7 and a column without a list number is one of "
        "the columns every list carries. A blank cell means that return does not carry the "
        "value; \"latest only\" means the return holds only the most recent one.",
        "",
    ]
    for name in TABLE_ORDER:
        lines += _table_section(TABLES[name])
    return lines


def _not_carried() -> list[str]:
    rows = []
    for name in TABLE_ORDER:
        cols = [c.name for c in TABLES[name].columns if not c.returns]
        if cols:
            rows.append([_code(name), ", ".join(_code(c) for c in cols)])
    notes = []
    for refs, text in PARTIAL_COVERAGE_NOTES:
        label = ", ".join(_code(r) for r in refs)
        notes.append(f"- {label}: {text}" if label else f"- {text}")
    return [
        "## What the returns cannot carry",
        "",
        "driftflag can be fed from the three returns alone, but the returns do not hold "
        "everything the case model does. These gaps are filled from the council's case "
        "management system where it can supply an extract; otherwise anything built on these "
        "columns is only as complete as the returns below allow.",
        "",
        "### Columns no return carries",
        "",
        "These columns have no mapping to any return. Identifiers (`*_id`) among them are not "
        "return fields: they come from the council's system or are assigned when the returns "
        "are read.",
        "",
        *_table_md(["Table", "Columns"], rows),
        "",
        "### Carried only in part",
        "",
        *notes,
        "",
    ]


def _code_lists() -> list[str]:
    rows = [[_code(n), ", ".join(_code_values(n))] for n in _code_lists_used()]
    return [
        "## Code lists",
        "",
        "The code lists named in the tables above, as defined in `driftflag.casemodel.codes` "
        "(transcribed from data-standards §1-§3; labels are in the same module).",
        "",
        *_table_md(["Code list", "Codes"], rows),
        "",
    ]


def render_data_model_markdown() -> str:
    """The full text of ``docs/data-model.md``, ending in a single newline."""
    lines = [
        *_intro(),
        *_conventions(),
        *_ethnicity(),
        *_collection_years(),
        *_codes_by_year(),
        *_tables(),
        *_not_carried(),
        *_code_lists(),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["render_data_model_markdown", "PARTIAL_COVERAGE_NOTES", "PROTECTED_COLUMNS"]
