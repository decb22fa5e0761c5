"""The ingest's build as it was before Annex A extracts were de-duplicated while read (main at
5548222): every extract staged in full, checked, reconciled, and only then its repeats dropped.

The slow, obviously-correct reference for :mod:`driftflag.ingest._dedup`: the tests compare
every output of :func:`driftflag.ingest.run.build` with :func:`reference_build`."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from driftflag.casemodel.schema import TABLE_ORDER, TABLES
from driftflag.casemodel.store import CaseStore
from driftflag.errors import DriftflagError
from driftflag.ingest import reconcile as rc
from driftflag.ingest.detect import SourceFile
from driftflag.ingest.run import (
    DUPLICATE_COLUMNS,
    Progress,
    _drop,
    _empty_issues,
    _incomplete_children,
    _is_annex_a_export,
    _orphans,
    _sorted,
    annex_a_extracts,
    read_annex_a_exports,
    read_source,
)
from driftflag.validate.rules import check_table


def _reference_duplicate_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.reindex(columns=["table", "_source_file", "_source_table", "_source_row", "reason", "_src"])


def reference_build(
    sources: list[SourceFile],
    *,
    extract_date: date,
    progress: Progress | None = None,
) -> tuple[CaseStore, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read, check and reconcile ``sources``; returns (store, accounting, issues, duplicates).

    Pure apart from reading the source files; nothing is written.

    Raises
    ------
    SourceFileError
        If a file cannot be read at all.
    DriftflagError
        If the row accounting does not balance (a bug, never silently ignored).
    """
    extract = pd.Timestamp(extract_date)
    step = progress or (lambda _m, _i, _n: None)
    parts: dict[str, list[pd.DataFrame]] = {}
    read_counts: dict[str, int] = {}
    i = 0
    for unit in annex_a_extracts(sources, extract_date):
        step(f"reading {unit[0].path.name}", i, len(sources))
        i += len(unit)
        if len(unit) == 1 and not _is_annex_a_export(unit[0]):
            staged, n = read_source(unit[0], extract_date)
            counts = {str(unit[0].path): n}
        else:
            staged, counts = read_annex_a_exports(unit, extract_date)
        for f, n in counts.items():
            read_counts[f] = read_counts.get(f, 0) + n
        for t, df in staged.items():
            if len(df):
                parts.setdefault(t, []).append(df)
    step("checking rows", len(sources), len(sources))

    frames: dict[str, pd.DataFrame] = {}
    issue_list: list[pd.DataFrame] = []
    all_srcs: list[pd.DataFrame] = []
    for t in TABLE_ORDER:
        if t not in parts:
            continue
        staged = pd.concat(parts[t], ignore_index=True)
        parts[t] = []  # the read parts are in ``staged`` now: not held while later tables are checked
        all_srcs.append(staged[["_src", "_source_file"]])
        typed, issues = check_table(TABLES[t], staged, extract_date=extract)
        frames[t] = typed
        issue_list.extend(issues)
    issues = pd.concat(issue_list, ignore_index=True) if issue_list else _empty_issues()
    bad = set(issues.loc[issues["level"] == "error", "_src"])
    _drop(frames, bad)

    dup_list: list[pd.DataFrame] = []
    more: list[pd.DataFrame] = []
    for t, df in frames.items():
        df = rc.add_ids(t, df.reset_index(drop=True))
        exact, clash = rc.within_file(t, df)
        if exact.any():
            dup_list.append(_reference_duplicate_rows(df.loc[exact].assign(reason="duplicate_row", table=t)))
        if clash.any():
            from driftflag.validate.rules import _issues

            key = [k for k in rc.NATURAL_KEYS[t] if k in df.columns]
            keytxt = df[key].astype("str").agg(" ".join, axis=1)
            more.append(_issues(t, df, clash, ",".join(key), keytxt, "duplicate_key",
                                "another row of this file has the same " + ", ".join(key) + " (" + keytxt
                                + ") with different values"))
        frames[t] = df.loc[~exact]
    if more:
        new = pd.concat(more, ignore_index=True)
        issues = pd.concat([issues, new], ignore_index=True)
        bad |= set(new["_src"])
        _drop(frames, bad)

    accepted: dict[str, pd.DataFrame] = {}

    def settle(t: str) -> None:
        if t not in frames:
            return
        kept, dups = rc.reconcile(t, frames[t])
        accepted[t] = kept
        if len(dups):
            dup_list.append(_reference_duplicate_rows(dups.assign(table=t)))

    def quarantine_orphans(found: list[pd.DataFrame]) -> None:
        nonlocal issues, bad
        found = [f for f in found if len(f)]
        if found:
            new = pd.concat(found, ignore_index=True)
            issues = pd.concat([issues, new], ignore_index=True)
            bad |= set(new["_src"])
            _drop(frames, bad)

    if "allocations" in frames:
        frames["allocations"], runs_dups = rc.allocation_runs(frames["allocations"])
        if len(runs_dups):
            dup_list.append(_reference_duplicate_rows(runs_dups.assign(table="allocations")))
    settle("children")
    if "children" in accepted:
        quarantine_orphans(_incomplete_children(accepted))
    if "children" in parts:
        # Only when some source describes children: the audit log alone cannot be checked.
        kids = pd.Index(accepted["children"]["child_id"]) if "children" in accepted else pd.Index([])
        quarantine_orphans([_orphans(t, df, "child_id", kids, "child")
                            for t, df in frames.items() if t not in ("children", "workers") and len(df)])
    settle("cp_plans")
    if "cp_reviews" in frames and len(frames["cp_reviews"]):
        plans = pd.Index(accepted["cp_plans"]["cp_plan_id"]) if "cp_plans" in accepted else pd.Index([])
        quarantine_orphans([_orphans("cp_reviews", frames["cp_reviews"], "cp_plan_id", plans,
                                     "child protection plan")])
    for t in TABLE_ORDER:
        if t not in ("children", "cp_plans"):
            settle(t)
    if "missing_episodes" in accepted and "children" in frames:
        # Annex A's answers about the return home interview after the last missing episode
        accepted["missing_episodes"] = rc.missing_rhi_from_extracts(accepted["missing_episodes"],
                                                                    frames["children"])
    # Events keep their CIN episode link only if that referral is in the store.
    if "referrals" in accepted:
        refs = pd.Index(accepted["referrals"]["referral_id"])
        for t in ("assessments", "section47", "cin_plans", "cp_plans", "pre_proceedings"):
            if t in accepted and "referral_id" in accepted[t]:
                accepted[t]["referral_id"] = accepted[t]["referral_id"].where(
                    accepted[t]["referral_id"].astype(object).isin(refs.astype(object)))

    duplicates = pd.concat(dup_list, ignore_index=True) if dup_list else pd.DataFrame(columns=["_src", "table", "reason", "_source_file", "_source_table", "_source_row"])
    srcs = pd.concat(all_srcs, ignore_index=True).drop_duplicates("_src") if all_srcs else pd.DataFrame(columns=["_src", "_source_file"])
    accounting = _reference_account(srcs, accepted, bad, read_counts, sources)
    issues = issues.loc[(issues["level"] == "error")
                        | ~issues["_src"].astype(object).isin(pd.Index(list(bad), dtype=object))].reset_index(drop=True)
    issues = issues.sort_values(["table", "source_file", "source_table", "_src", "column", "rule"], kind="mergesort")
    if "lac_episodes" in accepted:
        # derived after the accounting: these rows come from no source row of their own
        from driftflag.casemodel.proceedings import with_derived_proceedings

        accepted["care_proceedings"] = with_derived_proceedings(accepted.get("care_proceedings"),
                                                                accepted["lac_episodes"])
    rc.children_known_from(accepted)
    if "children" in accepted and any(s.format == "ssda903" for s in sources):
        # The 903 UASC table lists every UASC child looked after; absence means not UASC.
        accepted["children"]["uasc"] = accepted["children"]["uasc"].fillna(False) \
            if "uasc" in accepted["children"] else False
    store = CaseStore.from_frames({t: _sorted(t, df) for t, df in accepted.items()})
    dups = duplicates.rename(columns={"_source_file": "source_file", "_source_table": "source_table",
                                      "_source_row": "source_row"})
    dups = dups[list(DUPLICATE_COLUMNS)].astype("str").sort_values(list(DUPLICATE_COLUMNS), kind="mergesort")
    return store, accounting, issues.reset_index(drop=True), dups.reset_index(drop=True)


def _reference_account(srcs: pd.DataFrame, accepted: dict[str, pd.DataFrame], bad: set[str],
             read_counts: dict[str, int], sources: list[SourceFile]) -> pd.DataFrame:
    """Per file: rows read, accepted, quarantined, duplicates (the identity is checked)."""
    won = pd.Index(pd.concat([df["_src"] for df in accepted.values()], ignore_index=True).astype(object)
                   if accepted else [], dtype=object)
    s = srcs["_src"].astype(object)
    status = np.where(s.isin(pd.Index(list(bad), dtype=object)), "quarantined",
                      np.where(s.isin(won), "accepted", "duplicates"))
    counts = pd.crosstab(srcs["_source_file"].to_numpy(), status)
    rows = []
    for src in sources:
        f = str(src.path)
        c = counts.loc[f] if f in counts.index else pd.Series(dtype=int)
        row = {"file": f, "format": src.format, "rows_read": int(read_counts.get(f, 0))}
        for k in ("accepted", "quarantined", "duplicates"):
            row[k] = int(c.get(k, 0))
        if row["rows_read"] != row["accepted"] + row["quarantined"] + row["duplicates"]:
            raise DriftflagError(
                f"{f}: row accounting does not balance: read {row['rows_read']} != accepted "
                f"{row['accepted']} + quarantined {row['quarantined']} + duplicates {row['duplicates']}")
        rows.append(row)
    return pd.DataFrame(rows)


