"""Long commands print a line per step with the elapsed time, never a silent minute, and
``-v`` shows driftflag's own progress, not the libraries' debug lines."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console

from driftflag.cli._progress import StepLines, clock


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=False, width=200), buf


def test_clock():
    assert clock(0) == "0:00:00" and clock(65.9) == "0:01:05" and clock(3725) == "1:02:05"


def test_each_step_is_a_line_with_the_elapsed_time():
    console, buf = _console()
    t = FakeClock()
    with StepLines(console, "demo", heartbeat=None, timer=t) as lines:
        lines.step("ingest (ingest)")
        t.now += 75
        lines.step("train (train)\nsecond line")  # one line, whatever the message holds
    # a newline in a message is escaped (driftflag._text.single_line): one line a step
    assert buf.getvalue().splitlines() == ["[0:00:00] ingest (ingest)", "[0:01:15] train (train)\\nsecond line"]


def test_a_silent_step_gets_a_still_on_line_every_heartbeat():
    console, buf = _console()
    t = FakeClock()
    lines = StepLines(console, "demo", heartbeat=30, timer=t)
    lines.step("worklist (worklist)")
    t.now += 29
    assert not lines.beat()
    t.now += 1
    assert lines.beat()
    t.now += 10
    assert not lines.beat()  # the "still on" line counts: the next one 30 s after it
    t.now += 20
    assert lines.beat()
    assert buf.getvalue().splitlines()[1:] == ["[0:00:30] ... still on: worklist (worklist)",
                                               "[0:01:00] ... still on: worklist (worklist)"]


def _tiny_store(path: Path) -> None:
    from driftflag.casemodel import write_store
    from indicators.stores import make_store

    plans = [{"child_id": c, "start_date": d} for c, d in (("A", "2024-01-15"), ("B", "2025-10-01"))]
    allocations = [{"child_id": c, "team": "Team 1", "worker_id": "W1", "start_date": "2025-10-15"} for c in "AB"]
    write_store(make_store(cp_plans=plans, allocations=allocations,
                           referrals=[{"child_id": "F", "referral_date": "2025-11-03"}]), path,
                created_at=datetime(2025, 12, 1))


def test_verbose_run_prints_steps_and_no_library_debug_lines(tmp_path):
    """``driftflag -v run`` on a scorecard pipeline (the scorecard draws its charts with
    matplotlib, whose font search logged 79 DEBUG lines under -v)."""
    _tiny_store(tmp_path / "store")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(f"name: p\nsteps:\n  - id: card\n    kind: scorecard\n    with: {{store: {tmp_path / 'store'}, "
                        f"month: 2025-11, out: {tmp_path / 'card'}}}\n")
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(src), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    env.pop("MLFLOW_LOGGING_LEVEL", None)
    res = subprocess.run([sys.executable, "-m", "driftflag.cli", "-v", "run", str(pipeline), "--no-tracking",
                          "--workspace", str(tmp_path / "ws")], capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    err = res.stderr.splitlines()
    assert "[0:00:0" in res.stderr and any(line.endswith("card (scorecard)") for line in err)
    assert any(line.endswith("pipeline p: done") for line in err)
    assert any(line.startswith("DEBUG driftflag") or line.startswith("INFO driftflag") for line in err), err
    foreign = [line for line in err if line.split(" ", 1)[0] in ("DEBUG", "INFO")
               and not line.split(" ", 2)[1].startswith("driftflag")]
    assert foreign == [] and "findfont" not in res.stderr


def test_a_long_list_of_files_gets_about_ten_lines():
    from driftflag.pipeline.steps import tenths

    due = tenths()
    assert sum(due(i, 270) for i in range(271)) == 11  # each tenth once, and done
    due = tenths()  # progress may skip items: each tenth reached still gets its line
    assert [i for i in (0, 3, 108, 150, 269, 270) if due(i, 270)] == [0, 108, 150, 269, 270]


def test_mlflow_event_lines_are_silenced(capsys):
    """MLflow prints "Created version '4' of model ..." on stderr whatever its log level."""
    from mlflow.utils import logging_utils

    from driftflag.cli import quiet_mlflow

    try:
        quiet_mlflow()
        logging_utils.eprint("Created version '4' of model 'driftflag-future-drift'.")
        assert "Created version" not in capsys.readouterr().err
    finally:
        logging_utils.enable_logging()
