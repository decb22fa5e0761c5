"""docs/api.md runs as written, and the three faces agree: the worklist made from Python (the
code on that page), by ``driftflag worklist`` and by a ``driftflag run`` pipeline from the same
store, month, policy and workspace is byte-identical. The trained workspace also serves the
unknown-alias check (one line, never "internal error")."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftflag.cli import app

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "pipelines" / "monthly_audit.yaml"
DOC = ROOT / "docs" / "api.md"


def doc_code_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture(scope="module")
def month_run(tmp_path_factory):
    """A small synthetic LA in ``la/`` beside ``models/`` and ``pipelines/``, then every Python
    block of docs/api.md run in order in that folder, as a reader would."""
    from driftflag.synth import SynthConfig
    from driftflag.synth.run import run_synth

    root = tmp_path_factory.mktemp("api")
    # six monthly Annex A extracts (a series for the doc's ingest), not all 36 of the 3 years
    run_synth(SynthConfig(children=400, years=3, seed=3, annex_a_months=6), root / "la")
    for name in ("models", "pipelines"):
        (root / name).symlink_to(ROOT / name)
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as mp, contextlib.chdir(root):
        mp.delenv("DRIFTFLAG_PSEUDONYM_KEY", raising=False)
        for block in doc_code_blocks():
            exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return root, namespace


def test_the_doc_has_the_whole_month():
    code = "\n".join(doc_code_blocks())
    for stage in ("ingest", "features", "train", "promote", "worklist"):
        assert f"stages.{stage}(" in code


def test_the_doc_code_ran_every_stage(month_run):
    root, ns = month_run
    assert ns["ingested"].store_path == Path("store") or (root / "store" / "manifest.json").is_file()
    assert ns["run"].champion is not None and ns["decision"].summary
    assert ns["result"].summary()["month"] == "2026-03" and ns["result"].summary()["cases"] > 0
    assert (root / "features.coverage.csv").is_file()


def _cli(args: list[str]):
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r


def test_python_cli_and_pipeline_worklists_are_byte_identical(month_run, tmp_path, monkeypatch):
    root, _ns = month_run
    monkeypatch.delenv("DRIFTFLAG_PSEUDONYM_KEY", raising=False)
    store, ws = root / "store", root / "workspace"
    _cli(["worklist", "--store", store, "--month", "2026-03", "--policy", POLICY,
          "--workspace", ws, "--out", tmp_path / "cli"])
    pipeline = tmp_path / "worklist.yaml"
    pipeline.write_text(
        "name: api_worklist\nsteps:\n  - id: worklist\n    kind: worklist\n    with:\n"
        f"      store: {store}\n      month: '2026-03'\n      out: {tmp_path / 'pipeline'}\n"
        f"      policy: {POLICY}\n")
    _cli(["run", pipeline, "--workspace", ws, "--no-tracking"])
    made = {face: _files(folder) for face, folder in [
        ("docs/api.md", root / "reports" / "month" / "2026-03" / "worklist"),
        ("driftflag worklist", tmp_path / "cli"), ("driftflag run", tmp_path / "pipeline")]}
    doc = made.pop("docs/api.md")
    assert {"worklist.csv", "worklist.xlsx", "worklist.html", "scores.parquet"} <= set(doc)
    assert len(doc["worklist.csv"]) > 1000  # a real worklist, not two empty files
    for face, files in made.items():
        assert sorted(files) == sorted(doc), face
        differ = [name for name in doc if files[name] != doc[name]]
        assert differ == [], f"{face} differs from docs/api.md in {differ}"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("command", [
    ["models", "show", "champoin"],
    ["models", "promote", "champoin"],
    ["worklist", "--store", "{root}/store", "--month", "2026-03", "--out", "{tmp}/o", "--model", "champoin",
     "--policy", str(POLICY)],
])
def test_an_unknown_alias_is_one_line(month_run, tmp_path, command):
    root, _ns = month_run
    args = [a.format(root=root, tmp=tmp_path) for a in command]
    r = CliRunner().invoke(app, [*args, "--workspace", str(root / "workspace")])
    text = r.output.strip()
    assert r.exit_code == 2 and "\n" not in text, text
    assert text == ("driftflag: error: driftflag-future-drift has no version or alias 'champoin'; "
                    "give a version number, 'champion' or 'challenger'")
