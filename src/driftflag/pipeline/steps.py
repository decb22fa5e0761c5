"""Step kinds a pipeline can use, each a thin adapter over one stage call (:mod:`driftflag.stages`).

A kind declares its parameter model (validated before any work), which paths it reads (hashed
to decide whether a step can be reused) and which paths it writes. Adding a kind is adding one
function here with :func:`step_kind`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from driftflag.errors import ConfigError, DriftflagError
from driftflag.month import Month
from driftflag.workspace import Workspace


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
    cacheable: bool = True  # False: always re-run (e.g. a page that lists whatever exists)


@dataclass
class StepContext:
    """Shared state of one pipeline run: the workspace and the MLflow tracking URI (None: no
    tracking of the pipeline's own runs)."""

    workspace: Workspace
    tracking_uri: str | None
    progress: Callable[[str], None] = lambda _m: None


KINDS: dict[str, StepKind] = {}


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _is_month(value: str) -> str:
    try:
        return str(Month.parse(value))
    except DriftflagError as e:
        raise ValueError(f"{value!r} is not a month (YYYY-MM)") from e


#: ``YYYY-MM``, checked when the pipeline file is read (one meaning: see :mod:`driftflag.month`)
MonthText = Annotated[str, AfterValidator(_is_month)]


def step_kind(name: str, params: type[BaseModel], *, inputs, outputs, help: str,
              cacheable: bool = True):
    def deco(fn):
        KINDS[name] = StepKind(name=name, params=params, run=fn, inputs=inputs, outputs=outputs,
                               help=help, cacheable=cacheable)
        return fn

    return deco


def validate_step_params(step, *, where: str, base_dir: Path | None = None) -> BaseModel:
    """Check a step's kind exists and its ``with`` parameters fit that kind's model.

    Relative paths are made absolute against ``base_dir`` (the project root for files in
    ``pipelines/``), so a pipeline means the same thing whatever the current folder.
    """
    from driftflag.pipeline.config import one_line

    kind = KINDS.get(step.kind)
    if kind is None:
        raise ConfigError(
            f"{where}.kind: unknown step kind {step.kind!r}; allowed: {', '.join(sorted(KINDS))}")
    try:
        params = kind.params.model_validate(step.params)
    except ValidationError as e:
        raise ConfigError(f"{where}.with.{one_line(e, step.params)}") from e
    if base_dir is None:
        return params
    updates = {}
    for name, value in params:
        if isinstance(value, Path) and not value.is_absolute():
            updates[name] = Path(base_dir) / value
        elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
            updates[name] = [v if v.is_absolute() else Path(base_dir) / v for v in value]
    return params.model_copy(update=updates) if updates else params


# --- synth -------------------------------------------------------------------------------
class SynthParams(Params):
    out: Path
    children: int = Field(30000, ge=50)
    years: int = Field(8, ge=2, le=20)
    seed: int = 1
    messy: float = Field(0.0, ge=0.0, le=0.5)
    bias: str | None = None
    end: date = date(2026, 3, 31)
    annex_a_months: int = Field(48, ge=0)  # monthly Annex A extracts (0: every month)


@step_kind("synth", SynthParams, inputs=lambda p: [], outputs=lambda p: [p.out],
           help="generate a synthetic local authority in the real return formats")
def _synth(p: SynthParams, ctx: StepContext) -> StepResult:
    from driftflag.synth import SynthConfig
    from driftflag.synth.run import run_synth

    cfg = SynthConfig(children=p.children, years=p.years, seed=p.seed, messy=p.messy,
                      bias=p.bias, end=p.end, annex_a_months=p.annex_a_months)
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


# --- train -----------------------------------------------------------------------------
def _train_config_model():
    from driftflag.models.training import TrainConfig

    return TrainConfig


class TrainParams(Params):
    """The ``train`` step: the store to train on, the model specs and the training config."""

    store: Path
    models_dir: Path = Path("models")
    config: dict[str, Any]

    @model_validator(mode="after")
    def _config_is_valid(self) -> TrainParams:
        self.training_config()  # a bad training config fails before any work starts
        return self

    def training_config(self):
        from driftflag.pipeline.config import one_line

        TrainConfig = _train_config_model()  # noqa: N806
        try:
            return TrainConfig.model_validate(self.config)
        except ValidationError as e:
            raise ConfigError(f"config.{one_line(e, self.config)}") from e


def _train_inputs(p: TrainParams) -> list[Path]:
    return [p.store, p.models_dir]


@step_kind("train", TrainParams, inputs=_train_inputs, outputs=lambda p: [],
           help="train and evaluate the model specs over temporal folds; register challengers")
def _train(p: TrainParams, ctx: StepContext) -> StepResult:
    from driftflag import stages

    run = stages.train(p.store, p.training_config(), models_dir=p.models_dir,
                       workspace=ctx.workspace, progress=ctx.progress)
    frame = run.summary_frame()
    metrics = {f"{r.model}.{m}": float(r[m]) for _, r in frame.iterrows()
               for m in ("roc_auc", "precision_at_k", "ece") if r[m] == r[m]}
    best = frame.sort_values("precision_at_k", ascending=False).iloc[0]
    return StepResult(outputs=[], metrics=metrics,
                      summary=f"{len(frame)} models registered; best precision@k "
                              f"{best['precision_at_k']:.3f} ({best['model']}); {run.aliases_line()}")


def train_params_from_pipeline(path: Path, overrides: list[str], *, store: Path | None) -> TrainParams:
    """The ``train`` step of a pipeline file, with ``--store`` replacing its store."""
    from driftflag.pipeline.config import PipelineConfig

    cfg = PipelineConfig.from_yaml(path, overrides)
    steps = [s for s in cfg.steps if s.kind == "train"]
    if not steps:
        raise ConfigError(f"{path}: no step of kind 'train' in this pipeline")
    params = dict(steps[0].params)
    if store is not None:
        params["store"] = str(Path(store).resolve())
    p = TrainParams.model_validate(params)
    if not p.models_dir.is_absolute() and cfg.base_dir is not None:
        p = p.model_copy(update={"models_dir": Path(cfg.base_dir) / p.models_dir})
    return p


# --- ingest ----------------------------------------------------------------------------
class IngestParams(Params):
    paths: list[Path] = Field(min_length=1)
    store: Path
    extract_date: date
    format: str = "auto"
    great_expectations: bool = True


@step_kind("ingest", IngestParams, inputs=lambda p: list(p.paths), outputs=lambda p: [p.store],
           help="read the returns into the case store, validate, quarantine bad rows")
def _ingest(p: IngestParams, ctx: StepContext) -> StepResult:
    from driftflag import stages

    due = tenths()
    res = stages.ingest(p.paths, p.store, extract_date=p.extract_date, format=p.format,
                        great_expectations=p.great_expectations,
                        progress=lambda m, i, n: ctx.progress(f"ingest: {m} ({i}/{n})") if due(i, n) else None)
    tot = stages.row_totals(res)
    metrics: dict[str, float] = {}
    summary = f"case store written to {p.store}"
    if tot is not None:
        metrics = {f"rows_{k}": float(v) for k, v in tot.items()}
        summary = (f"{tot['read']:,} rows read = {tot['accepted']:,} accepted + "
                   f"{tot['quarantined']:,} quarantined + {tot['duplicates']:,} "
                   f"duplicates ({len(res.accounting)} files)")
    return StepResult(outputs=[p.store], metrics=metrics, summary=summary)


# --- promote ---------------------------------------------------------------------------
class PromoteParams(Params):
    target: str = "future_drift"
    version: str | None = None
    ece_max: float = 0.1
    require: bool = False  # fail the pipeline when the gate refuses the challenger
    #: with a store, the challenger's fairness back-test runs first and the gate reads its verdict
    #: (a "fail" is refused; see docs/fairness.md)
    store: Path | None = None
    fairness_months: int = 12
    fairness_bootstrap: int = 200
    require_fairness: bool = False  # refuse on "attention" / "insufficient evidence" too


@step_kind("promote", PromoteParams, inputs=lambda p: [], outputs=lambda p: [],
           help="apply the promotion gate to the challenger")
def _promote(p: PromoteParams, ctx: StepContext) -> StepResult:
    from driftflag import stages

    result = stages.promote(ctx.workspace, target=p.target, version=p.version, ece_max=p.ece_max,
                            store=p.store, fairness_months=p.fairness_months,
                            fairness_bootstrap=p.fairness_bootstrap,
                            require_fairness=p.require_fairness, skip_without_challenger=True)
    gate = result.gate
    if gate is None:
        return StepResult(outputs=[], summary=result.summary)
    if not gate.promoted and p.require:
        raise DriftflagError("promotion gate refused v" + str(gate.version) + ": "
                             + "; ".join(gate.reasons))
    metrics = {f"gate.{k}": float(v) for k, v in gate.figures.items() if v == v}
    metrics["gate.promoted"] = float(gate.promoted)
    metrics["gate.version"] = float(gate.version)  # the version decided on (params say None)
    return StepResult(outputs=[], metrics=metrics, summary=result.summary)


# --- worklist ----------------------------------------------------------------------------
class WorklistParams(Params):
    """``policy`` is a policy file or the policy itself, inline (see pipelines/monthly_audit.yaml)."""

    store: Path
    month: MonthText
    out: Path
    policy: dict[str, Any] | Path
    target: str = "future_drift"
    version: str | None = None

    @model_validator(mode="after")
    def _policy_is_valid(self) -> WorklistParams:
        if isinstance(self.policy, dict):
            from driftflag.worklist.policy import WorklistPolicy

            try:
                WorklistPolicy.model_validate(self.policy)
            except ValidationError as e:
                from driftflag.pipeline.config import one_line

                raise ValueError(f"policy.{one_line(e, self.policy)}") from e
        return self

    def policy_object(self):
        from driftflag.worklist.policy import WorklistPolicy

        if isinstance(self.policy, dict):
            return WorklistPolicy.model_validate(self.policy)
        return WorklistPolicy.from_yaml(self.policy)


@step_kind("worklist", WorklistParams,
           inputs=lambda p: [p.store] + ([p.policy] if isinstance(p.policy, Path) else []),
           outputs=lambda p: [p.out],
           help="score, explain and sample the month's audit worklist")
def _worklist(p: WorklistParams, ctx: StepContext) -> StepResult:
    from driftflag import stages

    result = stages.worklist(p.store, Month.parse(p.month), p.out, policy=p.policy_object(),
                             version=p.version, target=p.target, workspace=ctx.workspace,
                             progress=ctx.progress)
    s = result.summary()
    return StepResult(outputs=[p.out], metrics={"worklist_cases": float(s["cases"]),
                                                "open_cases": float(s["open_cases"])},
                      summary=f"{s['cases']} cases from {s['open_cases']} open cases")


# --- fairness ----------------------------------------------------------------------------
class FairnessParams(Params):
    store: Path
    out: Path
    month: MonthText | None = None  # unused: the back-test picks
    model: str = "champion"
    k: int = Field(40, ge=1)
    months: int = Field(12, ge=3)
    n_bootstrap: int = Field(1000, ge=50)
    fail_on_fail: bool = False


@step_kind("fairness", FairnessParams, inputs=lambda p: [p.store], outputs=lambda p: [p.out],
           help="fairness audit and ethics panel pack for the champion model")
def _fairness(p: FairnessParams, ctx: StepContext) -> StepResult:
    from driftflag import stages

    report = stages.fairness(p.store, p.out, workspace=ctx.workspace, model=p.model, k=p.k,
                             months=p.months, n_bootstrap=p.n_bootstrap)
    if p.fail_on_fail and report.verdict.status == "fail":
        raise DriftflagError("fairness verdict is fail: " + "; ".join(report.verdict.reasons[:3]))
    return StepResult(outputs=[p.out],
                      summary=f"verdict {report.verdict.status} ({report.config.month})")


# --- monitor -----------------------------------------------------------------------------
class MonitorParams(Params):
    store: Path
    month: MonthText
    out: Path
    model: str = "champion"
    target: str = "future_drift"
    config: dict[str, Any] = Field(default_factory=dict)  # MonitorConfig fields, inline

    @model_validator(mode="after")
    def _config_is_valid(self) -> MonitorParams:
        from driftflag.monitoring import MonitorConfig

        try:
            MonitorConfig.model_validate(self.config)
        except ValidationError as e:
            from driftflag.pipeline.config import one_line

            raise ValueError(f"config.{one_line(e, self.config)}") from e
        return self


@step_kind("monitor", MonitorParams, inputs=lambda p: [p.store], outputs=lambda p: [p.out],
           help="data drift monitoring of the model's inputs and scores")
def _monitor(p: MonitorParams, ctx: StepContext) -> StepResult:
    from driftflag import stages
    from driftflag.monitoring import MonitorConfig

    config = MonitorConfig.model_validate(p.config) if p.config else None
    report = stages.monitor(Month.parse(p.month), store=p.store, model=p.model, out=p.out,
                            target=p.target, workspace=ctx.workspace, config=config,
                            log_mlflow=ctx.tracking_uri is not None).report
    return StepResult(outputs=[p.out], summary=f"{report.verdict} ({len(report.flagged())} of "
                                               f"{len(report.features)} inputs flagged)")


def tenths() -> Callable[[int, int], bool]:
    """A filter for per-file progress (item ``i`` of ``n``, ``i == n`` when done): True the first
    time each tenth of the work is reached, so a long list of files gets about ten lines."""
    last = [-1]

    def due(i: int, n: int) -> bool:
        tenth = 10 if i >= n else 10 * i // max(n, 1)
        if tenth == last[0]:
            return False
        last[0] = tenth
        return True

    return due


# --- scorecard ---------------------------------------------------------------------------
class ScorecardParams(Params):
    store: Path
    month: MonthText
    out: Path
    council: dict[str, Any] | None = None  # CouncilConfig fields, inline (name, la_code, region, ...)

    @field_validator("council")
    @classmethod
    def _council(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        from driftflag.reports.benchmarks import CouncilConfig

        if value is not None:  # checked with the whole file, before any step runs
            CouncilConfig.model_validate(value)
        return value


@step_kind("scorecard", ScorecardParams, inputs=lambda p: [p.store], outputs=lambda p: [p.out],
           help="the monthly drift scorecard for QA leads (HTML and xlsx)")
def _scorecard(p: ScorecardParams, ctx: StepContext) -> StepResult:
    from driftflag import stages

    ctx.progress("scorecard: 13 month-end snapshots, the council's figures and How we compare")
    paths = stages.scorecard(p.store, Month.parse(p.month), p.out, council=p.council).paths
    return StepResult(outputs=[p.out], summary=f"scorecard {p.month}: {len(paths)} files")


# --- features (the panel step) ------------------------------------------------------------
class FeaturesParams(Params):
    stores: list[Path] = Field(min_length=1)
    first: MonthText
    last: MonthText
    out: Path
    engine: Literal["pandas", "spark"] = "pandas"
    la_codes: list[str] | None = None  # engine spark: one per store (default: each manifest's)
    registry: Path | None = None


@step_kind("features", FeaturesParams, inputs=lambda p: list(p.stores), outputs=lambda p: [p.out],
           help="the monthly as-of panel: one store with pandas, a pool of councils with spark")
def _features(p: FeaturesParams, ctx: StepContext) -> StepResult:
    if p.engine == "spark":
        from driftflag.spark import require_pyspark

        require_pyspark()
        from driftflag.spark import spark_features

        res = spark_features(p.stores, p.first, p.last, p.out, la_codes=p.la_codes, registry=p.registry)
        return StepResult(outputs=[p.out], metrics={"panel.rows": float(res.rows)},
                          summary=f"pooled panel of {len(res.la_codes)} councils: {res.rows:,} rows, "
                                  f"{res.months} months")
    if len(p.stores) != 1 or p.la_codes:
        raise ConfigError("the pandas engine reads one store (and no la_codes); pool several "
                          "councils with engine: spark")
    from driftflag import stages

    res = stages.features(p.stores[0], p.first, p.last, p.out, registry=p.registry)
    return StepResult(outputs=[p.out], metrics={"panel.rows": float(len(res.panel))},
                      summary=f"panel: {len(res.panel):,} rows")


# --- index -------------------------------------------------------------------------------
class IndexParams(Params):
    out: Path
    demo_root: Path
    month: MonthText


@step_kind("index", IndexParams, inputs=lambda p: [], outputs=lambda p: [p.out],
           help="reports/index.html linking every output, with a guide per user", cacheable=False)
def _index(p: IndexParams, ctx: StepContext) -> StepResult:
    from driftflag.reports.index import build_index, demo_links

    links = demo_links(p.demo_root, p.month)
    build_index(p.out, links)
    found = sum(1 for link in links if Path(link.path).exists())
    return StepResult(outputs=[p.out], summary=f"{p.out}: {found} of {len(links)} outputs linked")
