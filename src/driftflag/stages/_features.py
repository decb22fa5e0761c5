"""The features stage: monthly as-of snapshots (a panel) and their coverage table.

(Moved here from ``driftflag.indicators.commands.features``; the command is now a caller.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from driftflag.errors import ConfigError
from driftflag.month import Month

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class FeaturesResult:
    """The panel written to ``path`` and its coverage table written to ``coverage_path``."""

    path: Path
    coverage_path: Path
    panel: pd.DataFrame
    coverage: pd.DataFrame
    registry_label: str

    def gaps(self) -> list[str]:
        """Features available in some months and not in others (knowledge dates)."""
        shares = self.coverage.drop(index="open_cases", errors="ignore")
        return [f for f in shares.index if shares.loc[f].max() > 0 and (shares.loc[f] == 0).any()]


def coverage_path(panel_path: Path) -> Path:
    """Where the coverage table of a panel file is written: ``<panel>.coverage.csv``."""
    panel_path = Path(panel_path)
    return panel_path.with_name(panel_path.stem + ".coverage.csv")


def features(store: Path, first: Month | str, last: Month | str, out: Path, *,
             registry: Path | None = None) -> FeaturesResult:
    """One row per open child as of the first day of each month from ``first`` to ``last``
    (inclusive), written to the Parquet file ``out``, with the coverage table beside it.

    Only records dated and known before each as-of date are used; protected characteristics
    are kept in ``audit_*`` columns, apart from the model features. Prints nothing.
    """
    from driftflag.casemodel import read_store
    from driftflag.indicators import feature_coverage, load_registry, panel, write_panel
    from driftflag.indicators.coverage import write_coverage

    first, last = Month.parse(first, "--from"), Month.parse(last, "--to")
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}")
    reg = load_registry(registry)
    frame = panel(read_store(store), first.timestamp(), last.timestamp(), freq="MS", registry=reg)
    write_panel(frame, out, registry=reg)
    coverage = feature_coverage(frame, reg.model_features())
    cov_path = coverage_path(out)
    write_coverage(coverage, cov_path)
    return FeaturesResult(path=Path(out), coverage_path=cov_path, panel=frame, coverage=coverage,
                          registry_label=reg.label)
