"""Run a pipeline: validate everything first, then run steps in order with reuse and tracking.

* Every step runs inside one MLflow parent run (the pipeline) as a nested run, with its
  parameters, its figures and whether it ran, was reused or failed. No child-level data is
  logged: parameters are paths and settings, metrics are aggregates.
* A step is **reused** when its content hash (kind, parameters, and the bytes of every input
  path) matches the last successful run and its outputs are still there unchanged.
* A failing step stops the pipeline with its one-line message; outputs of earlier steps are
  left intact (every step writes atomically).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from driftflag._atomic import write_bytes_atomic
from driftflag._text import single_line
from driftflag.errors import DriftflagError
from driftflag.pipeline.config import PipelineConfig
from driftflag.pipeline.steps import KINDS, StepContext, validate_step_params
from driftflag.workspace import Workspace

logger = logging.getLogger(__name__)


class PipelineStepError(DriftflagError):
    """A step failed; carries the step id and the cause."""

    def __init__(self, step_id: str, cause: Exception):
        self.step_id = step_id
        self.cause = cause
        super().__init__(f"step {step_id!r} failed: {cause}")


@dataclass
class StepOutcome:
    id: str
    kind: str
    status: str  # "ran", "reused"
    summary: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    #: Wall-clock seconds the step took in this run (a reused step's check of its cache
    #: included): printed beside the step so a data scientist sees where a run's time goes. Never
    #: written to the step's record or to MLflow, whose contents stay the same run to run.
    seconds: float = 0.0


def _hash_path(h, path: Path) -> None:
    path = Path(path)
    if path.is_file():
        h.update(b"F" + str(path.name).encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    elif path.is_dir():
        for p in sorted(x for x in path.rglob("*") if x.is_file()):
            h.update(b"D" + str(p.relative_to(path)).encode())
            _hash_path(h, p)
    else:
        h.update(b"missing:" + str(path).encode())


def content_hash(kind: str, params_json: str, paths: list[Path]) -> str:
    h = hashlib.sha256()
    h.update(kind.encode() + b"\0" + params_json.encode())
    for p in paths:
        _hash_path(h, p)
    return h.hexdigest()


def run_pipeline(
    cfg: PipelineConfig,
    *,
    workspace: Path | Workspace,
    tracking_uri: str | None,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> list[StepOutcome]:
    """Run every step of ``cfg``; raises :class:`PipelineStepError` on the first failure."""
    step_params = [validate_step_params(s, where=f"steps ({s.id})", base_dir=cfg.base_dir)
                   for s in cfg.steps]
    ws = Workspace.resolve(workspace, tracking_uri=tracking_uri)
    cache_dir = ws.path / "pipeline-cache" / cfg.name
    ctx = StepContext(workspace=ws, tracking_uri=tracking_uri,
                      progress=progress or (lambda _m: None))
    outcomes: list[StepOutcome] = []
    tracker = _Tracker(tracking_uri, cfg.name, ws.path)
    from driftflag.tracking import tracking_server
    from driftflag.tracking import tracking_uri as local_uri

    # a pipeline's tracking_uri reaches every stage (training runs, registry, worklist, monitor)
    server = tracking_uri if tracking_uri and tracking_uri != local_uri(ws.path) else None
    with tracking_server(server), tracker.parent():
        for spec, params in zip(cfg.steps, step_params, strict=True):
            kind = KINDS[spec.kind]
            params_json = params.model_dump_json()
            key = content_hash(spec.kind, params_json, kind.inputs(params))
            record_path = cache_dir / f"{spec.id}.json"
            ctx.progress(f"{spec.id} ({spec.kind})")
            started = time.perf_counter()
            if not force and kind.cacheable and _reusable(record_path, key, kind.outputs(params)):
                record = json.loads(record_path.read_text())
                out = StepOutcome(spec.id, spec.kind, "reused", record.get("summary", ""),
                                  record.get("metrics", {}),
                                  seconds=time.perf_counter() - started)
                tracker.step(spec.id, spec.kind, params, out)
                outcomes.append(out)
                continue
            try:
                result = kind.run(params, ctx)
            except DriftflagError as e:
                tracker.failed(spec.id, spec.kind, params, e)
                raise PipelineStepError(spec.id, e) from e
            except Exception as e:  # an unexpected library failure still stops cleanly
                # the traceback only with --verbose: the error itself is the one line printed
                logger.debug("step %s failed", spec.id, exc_info=True)
                tracker.failed(spec.id, spec.kind, params, e)
                raise PipelineStepError(spec.id, e) from e
            out = StepOutcome(spec.id, spec.kind, "ran", result.summary, result.metrics,
                              seconds=time.perf_counter() - started)
            record = {
                "key": key,
                "summary": result.summary,
                "metrics": result.metrics,
                "outputs": {str(p): content_hash("out", "", [p]) for p in kind.outputs(params)},
            }
            write_bytes_atomic(record_path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
            tracker.step(spec.id, spec.kind, params, out)
            outcomes.append(out)
    return outcomes


def _reusable(record_path: Path, key: str, outputs: list[Path]) -> bool:
    if not record_path.is_file():
        return False
    try:
        record = json.loads(record_path.read_text())
    except json.JSONDecodeError:
        return False
    if record.get("key") != key:
        return False
    for p in outputs:
        if not Path(p).exists():
            return False
        if record.get("outputs", {}).get(str(p)) != content_hash("out", "", [p]):
            return False
    return True


class _Tracker:
    """MLflow parent run with one nested run per step (no-op without a tracking URI).

    Uses ``MlflowClient`` rather than the fluent ``mlflow.start_run`` so no run is "active" in
    the process while a step runs: steps that log runs of their own (``train``) are unaffected.
    """

    def __init__(self, uri: str | None, name: str, workspace: Path):
        self.uri = uri
        self.name = name
        self.workspace = workspace
        self.client = None
        self.parent_id: str | None = None
        self.exp_id: str | None = None

    @contextlib.contextmanager
    def parent(self):
        if not self.uri:
            yield
            return
        from driftflag._telemetry import disable_telemetry

        disable_telemetry()
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri=self.uri)
        exp = self.client.get_experiment_by_name("driftflag-pipelines")
        if exp is None:  # artifacts under the workspace, never a ./mlruns folder in the CWD
            art = (self.workspace / "artifacts" / "driftflag-pipelines").resolve()
            self.exp_id = self.client.create_experiment(
                "driftflag-pipelines",
                artifact_location=None if self.uri.startswith(("http://", "https://")) else art.as_uri(),
                tags={"mlflow.experimentKind": "custom_model_development"})
        else:
            self.exp_id = exp.experiment_id
        run = self.client.create_run(self.exp_id, run_name=f"pipeline:{self.name}",
                                     tags={"driftflag.pipeline": self.name})
        self.parent_id = run.info.run_id
        try:
            yield
        except BaseException:
            self.client.set_terminated(self.parent_id, status="FAILED")
            raise
        self.client.set_terminated(self.parent_id, status="FINISHED")

    def _child(self, sid: str, tags: dict[str, str]) -> str:
        run = self.client.create_run(self.exp_id, run_name=sid,
                                     tags={"mlflow.parentRunId": self.parent_id, **tags})
        return run.info.run_id

    def step(self, sid, kind, params, out: StepOutcome) -> None:
        if self.client is None:
            return
        rid = self._child(sid, {"driftflag.step_kind": kind, "driftflag.status": out.status})
        flat = {k: str(v)[:500] for k, v in params.model_dump(mode="json").items()}
        for k, v in flat.items():
            self.client.log_param(rid, k, v)
        for k, v in out.metrics.items():
            self.client.log_metric(rid, k.replace("@", "_at_"), float(v))
        self.client.set_terminated(rid, status="FINISHED")

    def failed(self, sid, kind, params, err) -> None:
        if self.client is None:
            return
        rid = self._child(sid, {"driftflag.step_kind": kind, "driftflag.status": "failed",
                                "driftflag.error": single_line(err, 500)})
        self.client.set_terminated(rid, status="FAILED")
