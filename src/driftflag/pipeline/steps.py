"""Step kinds a pipeline can use, each a thin adapter over one library call.

A kind declares its parameter model (validated before any work), which paths it reads (hashed
to decide whether a step can be reused) and which paths it writes. Adding a kind is adding one
function here with :func:`step_kind`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from driftflag.errors import ConfigError


@dataclass
class StepResult:
    """What a step did: the paths it wrote, figures to log, and one line for the user."""

    outputs: list[Path]
    metrics: dict[str, float] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class StepKind:
    name: str
    params: type[BaseModel]
    run: Callable[[Any, StepContext], StepResult]
    inputs: Callable[[Any], list[Path]]
    outputs: Callable[[Any], list[Path]]
    help: str


@dataclass
class StepContext:
    """Shared state of one pipeline run: the workspace and the MLflow tracking URI."""

    workspace: Path
    tracking_uri: str | None
    progress: Callable[[str], None] = lambda _m: None


KINDS: dict[str, StepKind] = {}


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def step_kind(name: str, params: type[BaseModel], *, inputs, outputs, help: str):
    def deco(fn):
        KINDS[name] = StepKind(name=name, params=params, run=fn, inputs=inputs, outputs=outputs,
                               help=help)
        return fn

    return deco


def validate_step_params(step, *, where: str) -> BaseModel:
    """Check a step's kind exists and its ``with`` parameters fit that kind's model."""
    from driftflag.pipeline.config import one_line

    kind = KINDS.get(step.kind)
    if kind is None:
        raise ConfigError(
            f"{where}.kind: unknown step kind {step.kind!r}; allowed: {', '.join(sorted(KINDS))}")
    try:
        return kind.params.model_validate(step.params)
    except ValidationError as e:
        raise ConfigError(f"{where}.with.{one_line(e, step.params)}") from e


# --- synth -------------------------------------------------------------------------------
class SynthParams(Params):
    out: Path
    children: int = Field(30000, ge=50)
    years: int = Field(8, ge=2, le=20)
    seed: int = 1
    messy: float = Field(0.0, ge=0.0, le=0.5)
    bias: str | None = None
    end: date = date(2026, 3, 31)


@step_kind("synth", SynthParams, inputs=lambda p: [], outputs=lambda p: [p.out],
           help="generate a synthetic local authority in the real return formats")
def _synth(p: SynthParams, ctx: StepContext) -> StepResult:
    from driftflag.synth import SynthConfig
    from driftflag.synth.run import run_synth

    cfg = SynthConfig(children=p.children, years=p.years, seed=p.seed, messy=p.messy,
                      bias=p.bias, end=p.end)
    summary = run_synth(cfg, p.out, force=True, progress=ctx.progress)
    return StepResult(outputs=[p.out], summary=summary)


# --- calibration -----------------------------------------------------------------------
class CalibrationParams(Params):
    la: Path
    year: int | None = None
    fail_out_of_tolerance: bool = True


@step_kind("calibration", CalibrationParams, inputs=lambda p: [p.la], outputs=lambda p: [],
           help="check a synthetic LA against England's statistics")
def _calibration(p: CalibrationParams, ctx: StepContext) -> StepResult:
    from driftflag.calibration import calibration_report
    from driftflag.errors import CalibrationError

    report = calibration_report(p.la, year=p.year)
    metrics = {f"calibration.{i.key}": float(i.value) for i in report.items if i.value is not None}
    n_out = len(report.out_of_tolerance)
    if n_out and p.fail_out_of_tolerance:
        keys = ", ".join(i.key for i in report.out_of_tolerance)
        raise CalibrationError(f"{n_out} calibration figure(s) out of tolerance: {keys}")
    return StepResult(outputs=[], metrics=metrics,
                      summary=f"{len(report.items) - n_out} of {len(report.items)} figures within tolerance")
