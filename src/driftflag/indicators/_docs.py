"""Render ``docs/indicators.md`` from the indicator registry.

The indicator reference is generated, never edited by hand, so it cannot drift from
``driftflag/data/indicators.yaml``: ``scripts/gen_docs.py`` writes it and
``tests/indicators/test_indicator_docs.py`` checks that the committed file equals
:func:`render_indicator_markdown`. The hand-written parts are the prose constants below.
Rendering is pure: the same registry gives the same text.
"""

from __future__ import annotations

from driftflag.indicators.definitions import FEATURE_GROUPS
from driftflag.indicators.registry import CONFIRM_MARK, Indicator, Registry, load_registry

POLARITY = {"higher_is_worse": "smaller is better", "higher_is_better": "bigger is better",
            "monitor": "monitor"}

INTRO = """\
# Drift indicators

> Generated from `src/driftflag/data/indicators.yaml` by `scripts/gen_docs.py`; do not
> edit by hand. Citations: `S4:3281` is line 3281 of `../shared/reference/seeds/S4_*.txt`;
> `DR §1.2` is `../shared/reference/domain-requirements.md` section 1.2; `DS §6.1` is
> `../shared/reference/data-standards.md` section 6.1. Values marked *[council to confirm]* are
> defaults the seed documents do not contain (DR §6 lists what they lack); they cite the statutory
> guidance by name and should be checked against the council's own procedures.

Flags prompt an audit by a person; they never decide anything about a child or family. An
indicator says where to look, not whether practice was good: each one below says what it does
not measure where that matters.

```python
from driftflag.indicators import load_registry, snapshot, panel
reg = load_registry()                          # or load_registry("council.yaml")
snap = snapshot(store, "2025-11-30")           # one row per child open on that date
months = panel(store, "2023-01-01", "2025-12-01")   # the 1st of each month, stacked
X = months[reg.model_features()]               # protected characteristics excluded
```

```
driftflag features --store STORE --from 2023-01 --to 2025-12 --out features.parquet [--registry council.yaml]
driftflag scorecard --store STORE --month 2025-11 --out DIR [--registry council.yaml]
```
"""

CONVENTIONS = """\
## As-of semantics (how every indicator is computed)

- **Who is in a snapshot.** A child is in the snapshot of `as_of` when a CIN episode (an open
  referral), a CIN plan, a child protection plan or a looked-after episode is *open* that day.
  Open means **`start <= as_of < end`**: an episode starting on the as-of date is open, and **an
  episode ending on the as-of date is closed that day** (the child's plan ended on 1 March is not
  on a plan on 1 March). A missing end date, or one after `as_of`, means still open.
- **Service** is the most intensive open service: `LAC` (looked after) > `CP` (on a child
  protection plan) > `CIN` (an open CIN episode, with or without a CIN plan).
- **No leakage.** Only records dated on or before `as_of` are used. An end date after `as_of` is
  unknown, so the episode counts as open; what is recorded only when something ends (closure
  reason, authorisation, return home interview offered, step decision, final order) is used only
  when that end is on or before `as_of`. The case store keeps only the latest category of abuse,
  which may postdate `as_of`, so the initial category is used. Tests append records dated after
  `as_of` to every table and check that the snapshot does not change, and check that the snapshot
  of the full store equals that of the store as it was held on `as_of`.
- **Knowledge dates.** Every row of the case store carries `known_from`, the date the council
  could first have known it: the event date for full histories (903 episodes, CIN census
  referrals and plans), the extract date for snapshots (Annex A's allocated team and worker and
  latest visit), the start of the 2025-26 collection for the CIN census PLO block. A snapshot on
  `as_of` reads only rows with `known_from <= as_of`, so a past month never sees a later
  extract's worker or visit. Allocations from Annex A are valid from one extract to the next
  change (a slowly changing dimension), so several monthly extracts build the history.
- **Not available.** A feature whose source has no row known by `as_of` for the child is blank,
  never a value: `days_since_last_visit` and `visit_overdue` without a known visit (when visits
  come from snapshots, or when no visit of any child is known yet), `worker_changes_12m` without a
  known allocation (and the visit gap and worker churn of `cp_long_plan_without_progress` count
  only where known). The panel returns a coverage table (feature x month, the share of open cases
  where the feature is available; `driftflag features` writes it beside the panel as
  `<panel>.coverage.csv`), and training leaves out the features that do not cover its training
  months (mean availability below half that of the month scored, or none in a month where ten
  or more cases would have it), naming them in its result and MLflow parameters.
  A leakage test ingests a synthetic LA's returns twice, all of them and only those a council
  would have held on a date D, and checks that the two snapshots on D are the same.
- **Windows.** "In the last N days" is `as_of - N < date <= as_of` (N days, the as-of day
  included). "In the last N months" uses calendar months, clipped to the month end as
  `dateutil.relativedelta` does: 31 August minus 6 months is 28 or 29 February, and 29 February
  2024 minus 12 months is 28 February 2023. "Over 18 months" means the start is on or before
  `as_of` minus 18 months.
- **Working days** are Monday to Friday except England and Wales bank holidays, from the
  `holidays` library (`country_holidays("GB", subdiv="ENG")`, which includes one-off bank holidays
  such as 19 September 2022 and 8 May 2023). The working days elapsed from `a` to `b` are those
  after `a` up to and including `b`, so an assessment started on Monday 20 November 2023 reaches
  45 working days on Thursday 25 January 2024 (skipping 25-26 December and 1 January) and is
  beyond 45 from Friday 26 January.
- **Ages** are completed years on `as_of`; a child born on 29 February turns a year older on
  1 March in other years.
- **Ties.** Where records overlap (two open plans, two allocations), the latest-starting one is
  current, and among those starting the same day the one with the greatest identifier.
- **Blank** (NaN / `<NA>`) means the indicator does not apply: `cp_plan_days` for a child not on a
  plan, `placements_12m` for a child not looked after.

## Snapshot columns

`child_id`, `as_of` (datetime64), `service`, `team` and `worker_id` (the current allocation), one
column per indicator below (numbers as float64, flags as nullable boolean, categories as text),
then the protected characteristics as `audit_*` columns: `audit_sex`, `audit_ethnicity`,
`audit_ethnic_group` (DfE major group, Chinese under Other, blanks as Not known),
`audit_disability`, `audit_uasc`, `audit_age_band`. They travel with the snapshot for fairness
checks and are excluded from `Registry.model_features()`. Rows are sorted by `as_of`, then
`child_id`. `driftflag features` writes the panel to Parquet with the registry version, the as-of
dates and the lists of model features and audit columns in the file's metadata.

## Council overrides

A council changes thresholds and scorecard targets, never the set of indicators:

```yaml
version: "Barnet QA framework 2026-01"      # named on every output
indicators:
  plo_over_16w:
    thresholds:
      weeks: 12                              # a bare number: source "council override (...)"
  cp_review_overdue:
    thresholds:
      review_interval_months: {value: 6, source: "Barnet CP procedures 2025 §4.2"}
    target: {value: 0, source: "Barnet QA framework 2026"}
```

An unknown indicator id, threshold name or key is refused with a message naming it.

## The monthly scorecard

`driftflag scorecard --month 2025-11` measures each indicator as at the month's last day, per
service (CIN, CP, LAC and all open cases) and per team: this month's count and result, last
month, the same month last year, direction of travel, polarity, target, RAG rating and
benchmarks, with a 13-month trend chart, in HTML and xlsx. Flags are reported as a rate (% of the
open caseload of the service or team); counts and durations as an average or a median over the
children they apply to. **RAG** is the commissioning-plan rule (S4:3947-3951, DR §2.3): Green when
the target is met; otherwise the percentage of the targeted improvement achieved, from the same
month last year to the target, gives Green Amber (80% or more), Red Amber (65-80%) or Red (under
65%). Without a baseline, or when last year already met the target, the result as a percentage of
the target is used instead. Monitor indicators have no target. Re-referrals are a share of the
referrals of the 12 months to the month end (DfE's rate), for the council as a whole. Teams with
fewer than 5 open cases in a service have their rates suppressed; an indicator whose source does
not cover the month, or that no open case has recorded, is "not available" (never 0%). **How we
compare** sets the council's figures, measured as DfE measures them, beside England's and its
region's for the latest published year (`driftflag/data/benchmarks.yaml`, each figure with its
publication, year and address) and its statistical neighbours' when the council file gives them
with their source (`--council FILE` or the scorecard step's `council:`: name, LA code, region,
statistical neighbours); otherwise "not available" and why. The registry's own benchmark lines
below are the reference documents' older figures, kept for context; the scorecard does not show
them. The scorecard is aggregate management information: no child-level row is shown.
"""


def _num(v: float) -> str:
    return f"{v:g}"


def _indicator_section(ind: Indicator, registry: Registry) -> list[str]:
    lines = [f"### `{ind.id}`: {ind.label}", ""]
    facts = [f"unit: {ind.unit.replace('_', ' ')}", f"polarity: {POLARITY[ind.polarity]}",
             f"services: {', '.join(ind.services)}"]
    if ind.outcome_area:
        facts.append(f"outcome area: {registry.outcome_areas[ind.outcome_area].split(' (')[0]}")
    if ind.protected:
        facts.append(f"protected characteristic: audit column `{ind.column}` only")
    if ind.scorecard != "none":
        facts.append(f"scorecard: {ind.scorecard}")
    lines += ["*" + "; ".join(facts) + "*", "", " ".join(ind.definition.split()), ""]
    if ind.thresholds:
        lines.append("Thresholds:")
        lines.append("")
        for name, t in ind.thresholds.items():
            lines.append(f"- `{name}` = {_num(t.value)} {t.unit.replace('_', ' ')}: {t.citation}")
        lines.append("")
    if ind.target is not None:
        lines += [f"Scorecard target: {_num(ind.target.value)} ({ind.target.citation}).", ""]
    if ind.benchmarks:
        bench = "; ".join(
            f"{b.name} {_num(b.value)} ({b.period}, {b.source}{', ' + b.note if b.note else ''})"
            for b in ind.benchmarks)
        lines += [f"Benchmarks: {bench}.", ""]
    lines += [f"Sources: {'; '.join(ind.sources)}.", ""]
    if ind.not_measured:
        lines += [f"Does not measure: {' '.join(ind.not_measured.split())}", ""]
    return lines


def render_indicator_markdown(registry: Registry | None = None) -> str:
    registry = registry or load_registry()
    out = [INTRO, CONVENTIONS]
    out.append(f"## Indicators (registry version {registry.version})\n")
    out.append("| id | label | unit | polarity | services | outcome area |")
    out.append("|---|---|---|---|---|---|")
    for ind in registry:
        area = ind.outcome_area or "(audit only)"
        out.append(f"| `{ind.id}` | {ind.label} | {ind.unit.replace('_', ' ')} | "
                   f"{POLARITY[ind.polarity]} | {', '.join(ind.services)} | {area} |")
    out.append("")
    out.append("Outcome areas (National Framework, S1:2222-2229, DR §4.1):")
    out.append("")
    for key, text in registry.outcome_areas.items():
        out.append(f"- `{key}`: {text}")
    out.append("")
    for family, title in FEATURE_GROUPS.items():
        members = [ind for ind in registry if ind.family == family]
        if not members:
            continue
        out.append(f"## {title}")
        out.append("")
        for ind in members:
            out += _indicator_section(ind, registry)
    confirm = [(ind.id, name, t) for ind in registry for name, t in ind.thresholds.items() if t.confirm]
    confirm += [(ind.id, "target", ind.target) for ind in registry
                if ind.target is not None and ind.target.confirm]
    out.append(f"## Defaults for the council to confirm {CONFIRM_MARK}")
    out.append("")
    for ind_id, name, t in confirm:
        out.append(f"- `{ind_id}.{name}` = {_num(t.value)}: {t.source}")
    text = "\n".join(out).rstrip("\n") + "\n"
    return text


__all__ = ["render_indicator_markdown"]
