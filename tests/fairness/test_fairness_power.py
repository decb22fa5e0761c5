"""The pack quotes the measured detection power that applies to its size (issue 13)."""

from __future__ import annotations

import html as _html
import re

import pytest

from driftflag.fairness import FairnessConfig, FairnessConfigError, build_fairness_report
from driftflag.fairness.power import load_power_table, power_statement

from .data_for_test import pooled

TABLE = {
    "version": 1, "measured": "2026-11-30", "study": "the test study",
    "settings": {"model": "logistic scorecard", "months": 12, "k": 40},
    "sizes": [
        {"children": 30000, "open_cases": 40000, "biases": [],
         "unbiased": {"las": 10, "any_outside": 0, "any_attention": 10}},
        {"children": 15000, "open_cases": 20000,
         "biases": [{"kind": "label", "group": "Black", "share": 0.5, "las": 5, "detected": 4,
                     "outside": 3, "median_calibration_ratio": 2.41},
                    {"kind": "recording", "group": "Black", "share": 0.25, "las": 3,
                     "detected": 1, "outside": 0, "median_calibration_ratio": None}],
         "unbiased": {"las": 10, "any_outside": 1, "any_attention": 9}},
    ],
}


def test_the_largest_studied_size_the_caseload_reaches_applies():
    s = power_statement(25000, TABLE)
    assert s["size"] == 15000 and s["caution"] is None
    label, recording, unbiased = s["lines"]
    assert s["note"] == ("The study's LAs that apply had 15,000 children known to social care: "
                         "about 20,000 open case-months over the 12 months judged (this pack: "
                         "25,000).")
    assert label.startswith("With 15,000 children, a label bias against Black children of "
                            "strength 0.5")
    assert "for half of the group's children" in label
    assert label.endswith("in 4 of 5 synthetic LAs; it moved their observed / predicted to "
                          "about 2.41 times White children's.")
    assert "recording bias" in recording and "a quarter of the group's visits" in recording
    assert recording.endswith("in 1 of 3 synthetic LAs.")
    assert "no group was reported outside band in 9 of 10 synthetic LAs (false alarms: 1 of " \
        "10)" in unbiased
    assert power_statement(40000, TABLE)["size"] == 30000


def test_a_smaller_caseload_than_any_studied_is_warned():
    s = power_statement(5000, TABLE)
    assert s["size"] == 15000
    assert s["caution"].startswith("This caseload (5,000 open case-months) is smaller than any")


def test_no_statement_for_a_hidden_total():
    assert power_statement("hidden", TABLE) is None


def test_an_unreadable_power_table_is_one_clear_error(tmp_path):
    bad = tmp_path / "power.yaml"
    bad.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(FairnessConfigError) as e:
        load_power_table(bad)
    assert str(bad) in e.value.args[0] and "needs 'version' and 'sizes'" in e.value.args[0]
    with pytest.raises(FairnessConfigError):
        load_power_table(tmp_path / "missing.yaml")


def test_the_shipped_table_is_consistent():
    t = load_power_table()
    assert isinstance(t["version"], int) and t["measured"] and t["sizes"]
    for size in t["sizes"]:
        assert size["children"] >= 15000 and size["open_cases"] > size["children"]
        for b in size["biases"]:
            assert 0 <= b["outside"] <= b["detected"] <= b["las"]
            assert b["kind"] in ("label", "recording")
        u = size.get("unbiased")
        if u:
            assert 0 <= u["any_outside"] <= u["las"] and 0 <= u["any_attention"] <= u["las"]
    assert any(size.get("unbiased") for size in t["sizes"])


def test_a_back_test_pack_quotes_the_power_and_a_one_month_pack_does_not(small_report):
    df = pooled()
    report = build_fairness_report(df, FairnessConfig(n_bootstrap=30, random_state=0, k=40,
                                                      dimensions=("ethnicity",),
                                                      mitigation=False))
    p = report.to_dict()["detection_power"]
    assert p is not None and p["lines"] and p["caution"]  # 3 small months: below the study
    page = _html.unescape(report.to_html())
    assert "How much this evidence could detect" in page
    assert p["note"] in page and p["lines"][0] in page and p["caution"] in page
    assert small_report.to_dict()["detection_power"] is None
    # the verdict box always says what evidence is missing, however many findings precede it
    box = page[page.index('<div class="verdict'):]
    box = box[:box.index("</div>")]
    assert report.verdict.missing_evidence
    assert "insufficient evidence" in box and "cannot be judged" in box


def test_the_shipped_table_says_what_the_study_measured():
    """Recount the study's per-LA results (benchmarks/results/fairness_power.jsonl) and compare
    with the shipped table the pack quotes."""
    import json
    from pathlib import Path

    results = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / \
        "fairness_power.jsonl"
    rows = [json.loads(ln) for ln in results.read_text().splitlines() if ln.strip()]
    t = load_power_table()
    for size in t["sizes"]:
        las = [r for r in rows if r["children"] == size["children"]]
        un = [r for r in las if r["bias"] is None]
        if un:
            assert size["unbiased"]["las"] == len(un)
            assert size["unbiased"]["any_outside"] == sum(
                1 for r in un if any(f[3] == "outside band" for f in r["findings"]))
        for b in size["biases"]:
            key = f"{b['kind']}:{b['group']}:{b['share']}"
            mine = [r for r in las if r["bias"] == key]
            assert b["las"] == len(mine), key
            assert b["detected"] == sum(1 for r in mine if any(
                p[0] == "ethnicity" and p[1] == b["group"]
                and p[3] in ("outside band", "attention") for p in r["planted_group"]))
    assert sum(1 + len(s["biases"]) for s in t["sizes"]) >= 2


def test_the_shared_results_name_no_folder_of_the_machine_that_ran_them():
    """The study's results are tracked and shared: recorded commands name paths relative to the
    project (``bench_fairness._portable``), never a machine's own folders."""
    from pathlib import Path

    results = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / \
        "fairness_power.jsonl"
    # a folder at the root of a machine (POSIX roots such as work, tmp, home, root, Users) or a
    # Windows drive letter: the recorded commands must name project-relative paths only
    machine_folder = re.compile(r"(?<![\w.])/(?:work|tmp|home|root|Users)/|\b[A-Za-z]:\\\\")
    for i, line in enumerate(results.read_text().splitlines(), start=1):
        found = machine_folder.search(line)
        assert found is None, f"line {i} names the machine folder {found.group(0) if found else ''}"
