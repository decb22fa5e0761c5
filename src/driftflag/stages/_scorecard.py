"""The scorecard stage: the monthly drift scorecard for QA leads (HTML and xlsx, aggregates only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from driftflag.month import Month

if TYPE_CHECKING:
    from driftflag.reports import Scorecard


@dataclass(frozen=True)
class ScorecardResult:
    card: Scorecard
    paths: list[Path]
    registry_label: str


def scorecard(store: Path, month: Month | str, out: Path, *,
              registry: Path | None = None, council: Path | dict | None = None) -> ScorecardResult:
    """Build ``month``'s scorecard from the case store and write it into the folder ``out``.
    ``council`` is a council file or mapping (name, LA code, region, statistical neighbours).
    Prints nothing."""
    from driftflag.casemodel import read_store
    from driftflag.indicators import load_registry
    from driftflag.reports import build_scorecard
    from driftflag.reports.benchmarks import CouncilConfig

    month = Month.parse(month)
    reg = load_registry(registry)
    card = build_scorecard(read_store(store), month, registry=reg, council=CouncilConfig.parse(council))
    return ScorecardResult(card=card, paths=list(card.write(out)), registry_label=reg.label)
