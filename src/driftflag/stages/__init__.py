"""The stage API: one public function per stage of a month's run, with typed inputs and a
result object. Nothing here prints, exits or parses options; the faces (the CLI, pipelines, a
notebook, ``docs/api.md``) are callers that render the results and turn a
:class:`~driftflag.errors.DriftflagError` into one line at their entry point.

>>> from driftflag import stages                                    # doctest: +SKIP
>>> from driftflag.month import Month
>>> from driftflag.workspace import Workspace
>>> ws = Workspace.resolve("ws")
>>> stages.ingest(["la/ssda903", "la/cin_census"], "store", extract_date=date(2026, 3, 31))
>>> stages.train("store", TrainConfig.from_yaml("pipelines/train.yaml"), workspace=ws)
>>> stages.promote(ws)
>>> stages.worklist("store", Month.parse("2026-03"), "out", workspace=ws)

See ``docs/api.md``. Each function's heavy imports happen inside it.
"""

from driftflag.month import Month
from driftflag.stages._fairness import fairness, fairness_pack, fairness_verdict
from driftflag.stages._features import FeaturesResult, coverage_path, features
from driftflag.stages._ingest import ingest, row_totals
from driftflag.stages._monitor import REFERENCE_ARTIFACT, MonitorResult, monitor
from driftflag.stages._promote import PromoteResult, promote
from driftflag.stages._scorecard import ScorecardResult, scorecard
from driftflag.stages._train import TrainingRun, train
from driftflag.stages._worklist import DEFAULT_POLICY, WorklistResult, worklist
from driftflag.workspace import Workspace

__all__ = [
    "DEFAULT_POLICY",
    "REFERENCE_ARTIFACT",
    "FeaturesResult",
    "Month",
    "MonitorResult",
    "PromoteResult",
    "ScorecardResult",
    "TrainingRun",
    "WorklistResult",
    "Workspace",
    "coverage_path",
    "fairness",
    "fairness_pack",
    "fairness_verdict",
    "features",
    "ingest",
    "monitor",
    "promote",
    "row_totals",
    "scorecard",
    "train",
    "worklist",
]
