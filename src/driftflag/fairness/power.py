"""The measured detection power the pack quotes: how often a bias of a given size was caught.

A "within band" or a "pass" means little without knowing what the evidence could have seen.
``data/fairness_power.yaml`` holds the power study's results (``benchmarks/bench_fairness.py
power``: synthetic LAs with a planted label or recording bias against one group, and unbiased
LAs for the false-alarm rate), versioned, shipped with the package. :func:`power_statement`
picks the studied LA size that applies to a pack (the largest whose back-test had no more open
case-months than the pack's; a smaller caseload gets the smallest size with a warning that its
power is lower) and says, in plain words, "with N children, a bias of this size was detected in
x of y synthetic LAs".
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from driftflag.fairness._errors import FairnessConfigError

__all__ = ["POWER_FILE", "load_power_table", "power_statement"]

POWER_FILE = "fairness_power.yaml"
_KIND_WORDS = {
    "label": ("label bias", "an extra no-further-action re-referral recorded in each year's "
              "census return for {pct} of the group's children, so their recorded outcomes rise "
              "while their circumstances do not"),
    "recording": ("recording bias", "{pct} of the group's visits and return home interviews "
                  "never written up in the monthly Annex A extracts, so their records look worse "
                  "while the practice did not change"),
}


def load_power_table(path: Path | None = None) -> dict[str, Any]:
    """The power study (``data/fairness_power.yaml`` unless ``path``); raises
    :class:`FairnessConfigError` when it is unreadable or has no version and sizes."""
    import yaml

    try:
        text = (Path(path).read_text(encoding="utf-8") if path is not None else
                resources.files("driftflag").joinpath(f"data/{POWER_FILE}").read_text(
                    encoding="utf-8"))
        table = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as e:
        raise FairnessConfigError(f"power table {path or POWER_FILE}: {e}") from e
    if not isinstance(table, dict) or "version" not in table or not table.get("sizes"):
        raise FairnessConfigError(f"power table {path or POWER_FILE}: needs 'version' and "
                                  f"'sizes'")
    return table


def _pct(share: float) -> str:
    return {0.5: "half", 0.25: "a quarter", 1.0: "all"}.get(share, f"{100 * share:.1f}%".replace(
        ".0%", "%"))


def power_statement(open_cases: int | str | None, table: dict[str, Any] | None = None
                    ) -> dict[str, Any] | None:
    """What the power study says for a pack with ``open_cases`` pooled open case-months.

    Returns ``{"size": ..., "note": str, "lines": [...], "caution": str | None, "study": str,
    "version": ..., "measured": str}`` or None when the study has no size (or ``open_cases`` is hidden or missing).
    """
    table = table if table is not None else load_power_table()
    sizes = sorted(table["sizes"], key=lambda s: s["open_cases"])
    if not sizes or not isinstance(open_cases, (int, float)):
        return None
    fits = [s for s in sizes if s["open_cases"] <= open_cases]
    size = fits[-1] if fits else sizes[0]
    caution = None if fits else (
        f"This caseload ({int(open_cases):,} open case-months) is smaller than any synthetic "
        f"LA in the study ({size['open_cases']:,}): its power to detect a bias is lower than "
        f"these figures.")
    note = (f"The study's LAs that apply had {size['children']:,} children known to social "
            f"care: about {size['open_cases']:,} open case-months over the "
            f"{table['settings']['months']} months judged (this pack: {int(open_cases):,}).")
    head = f"With {size['children']:,} children"
    lines = []
    for b in size.get("biases", []):
        name, words = _KIND_WORDS.get(b["kind"], (f"{b['kind']} bias", "{pct}"))
        effect = (f"; it moved their observed / predicted to about "
                  f"{b['median_calibration_ratio']:.2f} times White children's"
                  if b.get("median_calibration_ratio") is not None else "")
        lines.append(f"{head}, a {name} against {b['group']} children of strength "
                     f"{b['share']} ({words.format(pct=_pct(b['share']))}) was detected "
                     f"(outside band or attention for {b['group']} children) in "
                     f"{b['detected']} of {b['las']} synthetic LAs{effect}.")
    u = size.get("unbiased")
    if u:
        lines.append(f"{head} and no planted bias, no group was reported outside band in "
                     f"{u['las'] - u['any_outside']} of {u['las']} synthetic LAs (false "
                     f"alarms: {u['any_outside']} of {u['las']}); 'attention' appeared in "
                     f"{u['any_attention']} of {u['las']}.")
    return {"size": size["children"], "note": note, "lines": lines, "caution": caution,
            "study": table.get("study", ""), "version": table["version"],
            "measured": str(table.get("measured", ""))}
