"""The ``driftflag`` command line: a thin shell over the library.

Each command parses its options, makes one call to the stage API (:mod:`driftflag.stages`),
renders the result and sets the exit code. Errors a user can fix
(:class:`driftflag.errors.DriftflagError`) are turned into one line,
``driftflag: error: <message>``, with exit code 2, in one place: every command is registered
through :func:`_one_line_errors`. ``--debug`` shows the traceback instead. The commands live in
this package, one module per stage (``cli/worklist.py``...).

Messages carry values from the returns and paths people typed, so nothing printed is read as
rich markup and every message is one line (:mod:`driftflag._text`). MLflow's usage telemetry
is switched off before any command runs (:mod:`driftflag._telemetry`).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from driftflag import HUMAN_DECISION_NOTICE, __version__
from driftflag._telemetry import disable_telemetry
from driftflag._text import cell, say, single_line
from driftflag.errors import DriftflagError

app = typer.Typer(
    name="driftflag",
    help="Find drifting cases in children's social care. " + HUMAN_DECISION_NOTICE,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

_STATE = {"debug": False}


def step_time(seconds: float) -> str:
    """A step's duration as people say it: "0.4 s", "12 s", "3 min 05 s"."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


def _wide() -> Console:
    """Console for tables: at least 145 columns when output is not a terminal (CI, pipes), so a
    pipeline's summary column (beside its step, kind, status and time) keeps 80 characters."""
    return out if out.is_terminal and out.width >= 145 else Console(width=max(out.width, 145))


def _fail(err: Exception) -> None:
    if _STATE["debug"]:
        raise err
    say(console, f"driftflag: error: {err}", one_line=True)
    raise typer.Exit(code=2)


def _one_line_errors(command: Callable) -> Callable:
    """``command`` with a :class:`DriftflagError` shown as one line (exit 2): the one place the
    CLI handles errors. ``functools.wraps`` keeps the signature typer reads the options from."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DriftflagError as e:
            _fail(e)

    return run


class _OneLineFormatter(logging.Formatter):
    """Log messages as one escaped line (a path or value with a newline cannot forge a log line);
    a traceback, shown only with --verbose, keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return single_line(super().formatMessage(record), 2000)


def _version(value: bool) -> None:
    if value:
        out.print(f"driftflag {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """driftflag command line."""
    _STATE["debug"] = debug
    disable_telemetry()
    import os

    # MLflow prints INFO lines (database migrations) on stderr; keep the terminal for our output.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    quiet_libraries()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    # --verbose is driftflag's own progress: the libraries' debug lines (matplotlib's font
    # search alone printed 79) stay at their warnings
    logging.getLogger("driftflag").setLevel(logging.DEBUG if verbose else logging.WARNING)


#: Libraries whose warnings a user cannot act on (an indicator with no values in a month, pandas /
#: MLflow / PySpark deprecations): never shown, with or without --verbose.
QUIET_LIBRARIES: tuple[str, ...] = ("sklearn", "mlflow", "shap", "pandas", "great_expectations",
                                    "pyspark", "matplotlib", "lightgbm")


def quiet_mlflow() -> None:
    """Silence MLflow's event stream ("Registered model ...", "Created version '4' ...", printed
    on stderr whatever its log level): the step lines and the final table say what was done.
    Called by the commands that use MLflow (it is imported here, not at start-up)."""
    from mlflow.utils import logging_utils

    logging_utils.disable_logging()


def quiet_libraries() -> None:
    """Ignore the warnings raised from :data:`QUIET_LIBRARIES` (driftflag's own still show)."""
    import warnings

    for module in QUIET_LIBRARIES:
        warnings.filterwarnings("ignore", module=module)


def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the synthetic LA to.")],
    children: Annotated[
        int, typer.Option("--children", min=50, help="Children known to social care over the years.")
    ] = 30000,
    years: Annotated[int, typer.Option("--years", min=2, max=20, help="Collection years to simulate.")] = 8,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")] = 1,
    profile: Annotated[str, typer.Option("--profile", help="Calibration profile.")] = "england",
    messy: Annotated[
        float, typer.Option("--messy", min=0.0, max=0.5, help="Share of rows given realistic faults.")
    ] = 0.0,
    bias: Annotated[
        str | None,
        typer.Option("--bias", help="Inject a bias, e.g. 'label:Black:0.5' or 'recording:Asian:0.5'."),
    ] = None,
    end: Annotated[
        str, typer.Option("--end", help="Extract date: last day simulated (YYYY-MM-DD, a 31 March).")
    ] = "2026-03-31",
    annex_a_months: Annotated[
        int, typer.Option("--annex-a-months", min=0,
                          help="Monthly Annex A extracts to write: the last N month ends (0: all).")
    ] = 48,
    form_903: Annotated[
        str, typer.Option("--903-form", help="Write the 903 as CSV tables (csv) or one XML file a year (xml).")
    ] = "csv",
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Generate a synthetic local authority in the real return formats (903, CIN census, Annex A)."""
    from pydantic import ValidationError
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from driftflag.synth import SynthConfig
    from driftflag.synth.run import STEPS, run_synth

    try:
        cfg = SynthConfig(
            children=children, years=years, seed=seed, profile=profile, messy=messy,
            bias=bias, end=date.fromisoformat(end), annex_a_months=annex_a_months, ssda903_form=form_903,
        )
    except ValidationError as e:
        from driftflag.pipeline.config import one_line

        raise DriftflagError(one_line(e)) from e
    except ValueError as e:
        raise DriftflagError(f"--end {end!r} is not a date (YYYY-MM-DD): {e}") from e
    with Progress(
        TextColumn("{task.description:<18}", style="bold", markup=False), BarColumn(),
        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console, transient=True,
    ) as bar:
        task = bar.add_task("simulating", total=len(STEPS))

        def step(msg: str) -> None:
            bar.update(task, advance=1, description=single_line(msg, 60))

        summary = run_synth(cfg, out_dir, force=force, progress=step)
    out.print(summary, highlight=False, markup=False, emoji=False)
    out.print(HUMAN_DECISION_NOTICE, style="dim", highlight=False)


def calibration(
    la_dir: Annotated[Path, typer.Argument(help="A synthetic LA folder written by `driftflag synth`.")],
    year: Annotated[
        int | None, typer.Option("--year", help="Collection year to check (default: last full year).")
    ] = None,
) -> None:
    """Compare a synthetic LA with England's statistics, computed from its return files.

    Exits 1 when any figure is outside its tolerance.
    """
    from driftflag.calibration import calibration_report, render_report

    report = calibration_report(la_dir, year=year)
    _wide().print(render_report(report))
    if not report.all_within_tolerance:
        raise typer.Exit(code=1)


def run_pipeline_cmd(
    pipeline: Annotated[Path, typer.Argument(help="A pipeline file, e.g. pipelines/train.yaml.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override: NAME=VALUE for a variable, or steps.ID.with.KEY=VALUE."),
    ] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", help="Workspace folder (default ./driftflag-workspace or $DRIFTFLAG_WORKSPACE).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-run steps even when their inputs have not changed.")] = False,
    no_tracking: Annotated[bool, typer.Option("--no-tracking", help="Do not log to MLflow.")] = False,
) -> None:
    """Run a pipeline: validate the whole file first, then run each step (reusing unchanged ones)."""
    from rich.table import Table

    from driftflag.cli._progress import StepLines
    from driftflag.pipeline import PipelineConfig, run_pipeline
    from driftflag.workspace import Workspace

    cfg = PipelineConfig.from_yaml(pipeline, set_ or [])
    ws = Workspace.resolve(cfg.workspace if cfg.workspace and workspace is None else workspace,
                           tracking_uri=cfg.tracking_uri)
    quiet_mlflow()
    with StepLines(console, f"pipeline {cfg.name}") as lines:
        # the first line is the first step's: a file refused by validation stays one line
        outcomes = run_pipeline(cfg, workspace=ws, force=force,
                                tracking_uri=None if no_tracking else ws.tracking_uri,
                                progress=lines.step)
        lines.step(f"pipeline {cfg.name}: done")
    table = Table(title=cell(f"pipeline {cfg.name}"), title_justify="left")
    for col in ("step", "kind", "status", "time", "summary"):
        table.add_column(col)
    for o in outcomes:
        table.add_row(cell(o.id), cell(o.kind), cell(o.status), step_time(o.seconds),
                      cell(o.summary, limit=300))
    _wide().print(table)
    out.print(HUMAN_DECISION_NOTICE, style="dim", highlight=False)


def _register_commands() -> None:
    """Every command, each through :func:`_one_line_errors`. The stage commands live beside this
    module (each imports nothing heavy at import time)."""
    from driftflag.cli import fairness as fairness_cmds
    from driftflag.cli import indicators as indicator_cmds
    from driftflag.cli import ingest as ingest_cmds
    from driftflag.cli import models as model_cmds
    from driftflag.cli import monitoring as monitor_cmds
    from driftflag.cli import web as web_cmds
    from driftflag.cli import worklist as worklist_cmds

    def add(group: typer.Typer, name: str, command: Callable) -> None:
        group.command(name)(_one_line_errors(command))

    add(app, "synth", synth)
    add(app, "calibration", calibration)
    add(app, "run", run_pipeline_cmd)
    add(app, "features", indicator_cmds.features)
    add(app, "scorecard", indicator_cmds.scorecard)
    add(app, "ingest", ingest_cmds.ingest)
    add(app, "train", model_cmds.train)
    models_app = typer.Typer(help="List, inspect, promote and roll back registered models.",
                             no_args_is_help=True)
    add(models_app, "list", model_cmds.models_list)
    add(models_app, "show", model_cmds.models_show)
    add(models_app, "promote", model_cmds.models_promote)
    add(models_app, "rollback", model_cmds.models_rollback)
    app.add_typer(models_app, name="models")
    add(app, "worklist", worklist_cmds.worklist)
    audits_app = typer.Typer(help="Bring completed audit workbooks back, and report on audits.",
                             no_args_is_help=True)
    add(audits_app, "import", worklist_cmds.audits_import)
    add(audits_app, "report", worklist_cmds.audits_report)
    app.add_typer(audits_app, name="audits")
    add(app, "fairness", fairness_cmds.fairness)
    add(app, "monitor", monitor_cmds.monitor)
    add(app, "serve", web_cmds.serve)
    users_app = typer.Typer(help="Accounts of the web app (driftflag serve).", no_args_is_help=True)
    add(users_app, "add", web_cmds.users_add)
    app.add_typer(users_app, name="users")


_register_commands()


def entry() -> None:
    """Console-script entry point: a bug still ends in one line, not a traceback, unless --debug.

    LightGBM's OpenMP threads spin only briefly before they sleep (:mod:`driftflag._openmp`),
    set before anything loads OpenMP (every library is imported inside the commands).
    """
    from driftflag._openmp import bound_spinning

    bound_spinning()
    try:
        app()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - last resort; DriftflagError is handled per command
        if _STATE["debug"] or "--debug" in sys.argv:
            raise
        say(console, f"driftflag: internal error: {type(e).__name__}: {single_line(e, 300)} (rerun with --debug for the "
                     "traceback, and please report it)", one_line=True)
        raise SystemExit(3) from None


