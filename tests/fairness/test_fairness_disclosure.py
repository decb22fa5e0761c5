"""Disclosure control that holds: an attacker tries to work out every hidden count of the pack.

The attacker reads only what the pack publishes (``fairness.json``; the HTML shows the same
figures) and writes every relation it knows as a linear equation between counts: published
counts, totals, the sums of each characteristic's groups, and each published rate times its
denominator (recall x cases with the outcome = listed drifting cases; precision x listed = the
same; ratios x the reference group's rate). A hidden count is *derivable* when the equations fix
it (its column of the null space is zero). The test fails if any hidden cell, or any count of
listed drifting cases from 1 to 9, is derivable. A positive control shows the attacker finds a
count that a leaky pack gives away.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from driftflag.fairness import FairnessConfig, build_fairness_report

from .data_for_test import scored_caseload

COUNTS = ("n", "n_labelled", "n_positive", "n_selected")
DIMS = ("ethnicity", "ethnicity_detailed", "sex", "age_band", "disability", "uasc",
        "ethnicity_by_age")


@pytest.fixture(scope="module")
def pooled_pack(tmp_path_factory):
    """Three monthly caseloads of a small LA pooled, 40 listed a month: many small cells."""
    frames = []
    for m in ("2025-01-01", "2025-02-01", "2025-03-01"):
        f = scored_caseload(month=m).drop(columns=["selected", "sample_weight"])
        f["as_of"] = pd.Timestamp(m)
        frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    cfg = FairnessConfig(n_bootstrap=50, random_state=0, k=40,
                         feature_columns=("drift_signal", "prior_cp_plans"))
    report = build_fairness_report(df, cfg)
    out = tmp_path_factory.mktemp("disclosure") / "pack"
    report.write(out)
    return json.loads((out / "fairness.json").read_text()), (out / "fairness.html").read_text()


class Attack:
    """Linear equations over count cells; which cells do they fix?"""

    def __init__(self):
        self.index: dict[tuple, int] = {}
        self.rows: list[dict[int, float]] = []
        self.rhs: list[float] = []

    def var(self, *key) -> int:
        return self.index.setdefault(key, len(self.index))

    def eq(self, coef: dict[tuple, float], rhs: float = 0.0) -> None:
        row: dict[int, float] = {}
        for k, c in coef.items():
            i = self.var(*k)
            row[i] = row.get(i, 0.0) + c
        self.rows.append(row)
        self.rhs.append(rhs)

    def solve(self):
        A = np.zeros((len(self.rows), len(self.index)))
        for r, row in enumerate(self.rows):
            for i, c in row.items():
                A[r, i] = c
        b = np.array(self.rhs)
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        _, s, vt = np.linalg.svd(A, full_matrices=True)
        rank = int((s > 1e-7 * s.max()).sum())
        null = vt[rank:].T  # columns span the null space
        fixed = np.abs(null).max(axis=1) < 1e-6 if null.size else np.ones(len(x), dtype=bool)
        return {k: (bool(fixed[i]), float(x[i])) for k, i in self.index.items()}


def _value(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def build_attack(pack: dict) -> tuple[Attack, list[tuple]]:
    """Every equation the published numbers give; returns the attack and the hidden cells."""
    at = Attack()
    hidden: list[tuple] = []
    summary = pack["summary"]
    for col, key in zip(COUNTS, ("open_cases", "with_label", "with_outcome", "on_worklist"),
                        strict=True):
        v = _value(summary[key])
        if v is not None:
            at.eq({("total", col): 1.0}, v)
    dims = pack["dimensions"]
    for dim in DIMS:
        if dim not in dims:
            continue
        groups = dims[dim]["groups"]
        for col in COUNTS:  # a characteristic's groups sum to the total
            at.eq({**{(dim, g["group"], col): 1.0 for g in groups}, ("total", col): -1.0})
        at.eq({**{(dim, g["group"], "n_tp"): 1.0 for g in groups}, ("total", "n_tp"): -1.0})
        rate_of = {}
        for g in groups:
            name = g["group"]
            for col in COUNTS:
                v = _value(g[col])
                if v is not None:
                    at.eq({(dim, name, col): 1.0}, v)
                else:
                    hidden.append((dim, name, col))
            hidden.append((dim, name, "n_tp"))
            rate_of[name] = g
            _rate_equations(at, dim, name, g)
        ref = dims[dim]["reference"]["group"]
        for d in dims[dim]["disparities"]:  # ratio x reference rate = the group's rate
            r, m = _value(d["ratio"]), d["metric"]
            ref_rate = _value(rate_of.get(ref, {}).get(m))
            if r is not None and ref_rate is not None:
                _rate_equations(at, dim, d["group"], {m: r * ref_rate})
    if "ethnicity_detailed" in dims and "ethnicity" in dims:
        from driftflag.fairness._report import _major_of_detailed

        for major in dims["ethnicity"]["groups"]:
            members = [g["group"] for g in dims["ethnicity_detailed"]["groups"]
                       if _major_of_detailed(g["group"]) == major["group"]]
            for col in (*COUNTS, "n_tp"):
                at.eq({**{("ethnicity_detailed", m, col): 1.0 for m in members},
                       ("ethnicity", major["group"], col): -1.0})
    if "ethnicity_by_age" in dims:
        xs = [g["group"] for g in dims["ethnicity_by_age"]["groups"]]
        for dim, part in (("ethnicity", 0), ("age_band", 1)):
            for g in dims.get(dim, {}).get("groups", []):
                members = [x for x in xs if x.split(" / ")[part] == g["group"]]
                for col in (*COUNTS, "n_tp"):
                    at.eq({**{("ethnicity_by_age", x, col): 1.0 for x in members},
                           (dim, g["group"], col): -1.0})
    rep = pack["worklist_representation"]
    for dim, blob in rep["against_caseload"].items():
        for row in blob["rows"]:
            _rate_equations(at, dim, row["group"], {"selection_rate": row["selection_rate"]})
            for col in ("n", "n_selected"):
                v = _value(row[col])
                if v is not None:
                    at.eq({(dim, row["group"], col): 1.0}, v)
    pop = rep.get("against_population")
    if pop:
        known = [r["group"] for r in pop["rows"] if r.get("population_share") is not None]
        for r in pop["rows"]:
            for key, col in (("worklist_share_of_known", "n_selected"),
                             ("caseload_share_of_known", "n")):
                s = _value(r.get(key))
                if s is not None:
                    at.eq({**{("ethnicity", g, col): -s for g in known},
                           ("ethnicity", r["group"], col): 1.0})
    _mitigation_equations(at, hidden, pack.get("mitigation") or {})
    for r in (pack.get("prior_history") or {}).get("rows", []):
        # children who later entered care: published counts and recall among them
        g = ("ph", r["group"])
        if "n_entered_care" not in r:
            continue
        v = _value(r["n_entered_care"])
        if v is not None:
            at.eq({(*g, "n"): 1.0}, v)
        else:
            hidden.append((*g, "n"))
        x = _value(r.get("recall_entered_care"))
        if x is not None:
            at.eq({(*g, "n_tp"): 1.0, (*g, "n"): -x})
    return at, hidden


def _mitigation_equations(at: Attack, hidden: list[tuple], mit: dict) -> None:
    """The mitigation table: each strategy's listed counts per group (summing to its "All"
    row), its rates against the group's open cases and cases with the outcome (the main
    table's cells), and "as listed" is the main table's list itself."""
    if not mit.get("shown"):
        return
    dim = mit["dimension"]
    by_strategy: dict[str, list[dict]] = {}
    for r in mit["rows"]:
        by_strategy.setdefault(r["strategy"], []).append(r)
    for strat, rows in by_strategy.items():
        def k(g, col, strat=strat):
            return (dim, g, col) if strat == "as listed" else ("mit", strat, g, col)
        groups = [r["group"] for r in rows if r["group"] != "All"]
        for col in ("n_selected", "n_tp"):
            at.eq({**{k(g, col): 1.0 for g in groups}, ("mit", strat, "All", col): -1.0})
        for r in rows:
            g = r["group"]
            if g == "All":
                v = _value(r["n_selected"])
                if v is not None:
                    at.eq({("mit", strat, "All", "n_selected"): 1.0}, v)
                continue
            v = _value(r["n_selected"])
            if v is not None:
                at.eq({k(g, "n_selected"): 1.0}, v)
            elif strat != "as listed":
                hidden.append(k(g, "n_selected"))
            if strat != "as listed":
                hidden.append(k(g, "n_tp"))
            for m, form in {
                "selection_rate": lambda x, g=g: {k(g, "n_selected"): 1.0, (dim, g, "n"): -x},
                "precision": lambda x, g=g: {k(g, "n_tp"): 1.0, k(g, "n_selected"): -x},
                "recall": lambda x, g=g: {k(g, "n_tp"): 1.0, (dim, g, "n_positive"): -x},
            }.items():
                x = _value(r.get(m))
                if x is not None:
                    at.eq(form(x))


def _rate_equations(at: Attack, dim: str, g: str, rates: dict) -> None:
    """Each published rate as a linear equation (every case labelled: listed = listed with a
    label)."""
    def k(col):
        return (dim, g, col)

    forms = {
        "selection_rate": lambda r: {k("n_selected"): 1.0, k("n"): -r},
        "base_rate": lambda r: {k("n_positive"): 1.0, k("n_labelled"): -r},
        "recall": lambda r: {k("n_tp"): 1.0, k("n_positive"): -r},
        "false_negative_rate": lambda r: {k("n_positive"): 1.0 - r, k("n_tp"): -1.0},
        "precision": lambda r: {k("n_tp"): 1.0, k("n_selected"): -r},
        "false_discovery_rate": lambda r: {k("n_selected"): 1.0 - r, k("n_tp"): -1.0},
        "false_positive_rate": lambda r: {k("n_selected"): 1.0, k("n_tp"): -1.0,
                                          k("n_labelled"): -r, k("n_positive"): r},
    }
    for m, form in forms.items():
        r = _value(rates.get(m))
        if r is not None:
            at.eq(form(r))


def derivable(pack: dict) -> list[str]:
    at, hidden = build_attack(pack)
    solved = at.solve()
    out = []
    for cell in hidden:
        fixed, value = solved.get(cell, (False, 0.0))
        if not fixed:
            continue
        if cell[-1] == "n_tp":  # never published: a leak only if it is a small count
            if 0.5 <= value < 9.5:
                out.append(f"{cell}: {value:.1f}")
        else:
            out.append(f"{cell}: {value:.1f}")
    return out


def test_no_hidden_count_can_be_worked_out(pooled_pack):
    pack, _ = pooled_pack
    hidden = [1 for d in pack["dimensions"].values() for g in d["groups"]
              for c in COUNTS if isinstance(g[c], str)]
    assert len(hidden) > 10  # the pack does hide cells: the attack has work to do
    assert derivable(pack) == []


def test_the_attack_finds_a_leak_when_there_is_one(pooled_pack):
    pack, _ = pooled_pack
    leaky = json.loads(json.dumps(pack))
    # hide a count whose rate stays published with its denominator (the leak):
    # the attacker must recover it
    white = next(g for g in leaky["dimensions"]["ethnicity"]["groups"] if g["group"] == "White")
    assert white["selection_rate"] is not None and isinstance(white["n"], int)
    white["n_selected"] = "<10"
    found = derivable(leaky)
    assert any("'White', 'n_selected'" in f for f in found), found


def test_the_back_test_pack_has_a_mitigation_table_the_attack_reads(pooled_pack):
    pack, html = pooled_pack
    mit = pack["mitigation"]
    assert mit["shown"] and {r["strategy"] for r in mit["rows"]} == {
        "as listed", "equal selection rate", "equal recall"}
    assert "Mitigation (analysis only)" in html and "each month" in mit["note"]
    at, hidden = build_attack(pack)
    assert any(c[0] == "mit" for c in hidden)  # its hidden cells are among those attacked


def test_the_attack_finds_a_leak_in_the_mitigation_table(pooled_pack):
    pack, _ = pooled_pack
    leaky = json.loads(json.dumps(pack))
    # a group hidden in the main table whose listed count and selection rate the mitigation
    # table would publish: the hidden open-case count follows
    eth = {g["group"]: g for g in leaky["dimensions"]["ethnicity"]["groups"]}
    white = eth["White"]
    assert isinstance(white["n"], int)
    white["n"] = "hidden"
    row = next(r for r in leaky["mitigation"]["rows"]
               if r["strategy"] == "equal selection rate" and r["group"] == "White")
    assert isinstance(row["n_selected"], int) and row["selection_rate"] is not None
    for g in leaky["dimensions"]["ethnicity"]["groups"]:  # only the mitigation row may tell
        g["selection_rate"] = None
    leaky["summary"]["open_cases"] = "hidden"
    for d in ("ethnicity_detailed", "ethnicity_by_age", "sex", "age_band", "disability",
              "uasc"):
        leaky["dimensions"].pop(d, None)
    leaky["worklist_representation"] = {"against_caseload": {}}
    found = derivable(leaky)
    assert any("'White', 'n'" in f for f in found), found


def test_no_small_count_in_html_or_json(pooled_pack):
    pack, html = pooled_pack
    text = json.dumps(pack)
    for key in ("n", "n_labelled", "n_positive", "n_selected", "n_entered_care",
                "open_cases", "on_worklist", "with_label", "with_outcome"):
        for v in re.findall(rf'"{key}": (\d+)', text):
            assert not 1 <= int(v) <= 9, (key, v)
    for c in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S):
        assert not re.fullmatch(r"\s*[1-9]\s*", c), c


def test_the_pack_names_no_host_outside_the_machine(pooled_pack, tmp_path):
    """The charts are inline SVG without the DTD, RDF metadata or namespace URLs matplotlib
    writes: a panel member on a council network that blocks outside requests sees the same page,
    and the people-file scan finds no outside host."""
    from driftflag.reports.scan import scan_folder

    _, html = pooled_pack
    assert "<svg" in html
    (tmp_path / "fairness.html").write_text(html, encoding="utf-8")
    hosts = [f for f in scan_folder(tmp_path) if f.kind == "outside host"]
    assert hosts == []
