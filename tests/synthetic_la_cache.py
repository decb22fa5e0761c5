"""One cached synthetic LA for the whole suite: built once per test session, keyed by its settings.

Several test packages need a seeded synthetic LA; generating one takes from a fraction of a second
(80 children) to several seconds (30,000 children over 8 years), and writing it in the real return
formats takes as long again. Each package used to build its own; here every package asks for the
LA by its ``SynthConfig`` settings and the same settings give the same (shared) object.

- :func:`synthetic_la` gives the in-memory :class:`~driftflag.synth.generator.SynthResult`.
- :func:`synthetic_la_dir` gives the folder ``driftflag synth`` writes (returns, canonical store,
  truth).

Both are read-only: a test that changes the store or the files must change a copy
(``store.tables`` frames and ``shutil.copytree``), because the next test gets the same object.

Under pytest-xdist the workers are separate processes: ``tests/conftest.py`` points
:func:`configure` at a folder shared by all workers of the session, and the first worker to need an
LA builds it under a file lock while the others wait and then read it (pickled results, written
folders). Outside xdist the cache is the process's memory and a folder of the session's own
``basetemp``. Nothing is kept between sessions, so a change to the simulator is always seen.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

if TYPE_CHECKING:
    from driftflag.synth.generator import SynthResult

_state: dict[str, object] = {"folder": None, "between_processes": False}
_results: dict[str, SynthResult] = {}


def configure(folder: Path, *, between_processes: bool) -> None:
    """Where the session keeps its LAs; ``between_processes`` when xdist workers share them."""
    folder.mkdir(parents=True, exist_ok=True)
    _state["folder"] = folder
    _state["between_processes"] = between_processes


def session_folder() -> Path:
    """The session's folder of shared LAs (and other results shared between workers)."""
    folder = _state["folder"]
    if folder is None:  # imported outside pytest (a script): a private temporary folder
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="synthetic-la-"))
        configure(folder, between_processes=False)
    return folder  # type: ignore[return-value]


def _config(params: dict):
    from driftflag.synth import SynthConfig

    return SynthConfig(**params)


def _key(cfg) -> str:
    return hashlib.sha256(cfg.model_dump_json().encode()).hexdigest()[:16]


def synthetic_la(**params) -> SynthResult:
    """The generated LA for ``SynthConfig(**params)``, built once per session (do not change it)."""
    from driftflag.synth import generate

    cfg = _config(params)
    key = _key(cfg)
    if key in _results:
        return _results[key]
    if not _state["between_processes"]:
        _results[key] = generate(cfg)
        return _results[key]
    asked = time.time()
    result, built, got = pickled_once(session_folder() / f"la-{key}.pickle", lambda: generate(cfg))
    _record(cfg, "synthetic_la", asked, got, built)
    _results[key] = result
    return result


def pickled_once(path: Path, build):
    """``build()`` made by the first process of the session to ask, under a file lock, and
    pickled at ``path``; the others read the pickle. Returns (result, whether built here, the
    time the lock was got)."""
    with FileLock(f"{path}.lock"):
        got = time.time()
        built = not path.exists()
        if not built:
            with path.open("rb") as f:
                return pickle.load(f), built, got
        result = build()
        part = path.with_suffix(f".{os.getpid()}.part")
        with part.open("wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        part.replace(path)
    return result, built, got


def synthetic_la_dir(**params) -> Path:
    """The LA of ``SynthConfig(**params)`` written by ``run_synth`` (returns, ``canonical/``,
    ``truth/``), once per session. Read-only: copy the folder before changing any file."""
    from driftflag.synth.run import run_synth

    cfg = _config(params)
    root = session_folder() / f"la-{_key(cfg)}"
    asked = time.time()
    with FileLock(f"{root}.lock"):
        got = time.time()
        built = not (root / "synth_manifest.json").is_file()
        if built:
            run_synth(cfg, root, force=True)
        _record(cfg, "synthetic_la_dir", asked, got, built)
    return root


def _record(cfg, what: str, asked: float, got: float, built: bool) -> None:
    """The suite's timeline (``suite_timeline.py``, when switched on): the wait for the lock and
    the build or read behind it."""
    import suite_timeline

    suite_timeline.record("lock", what=what, children=cfg.children, years=cfg.years,
                          seed=cfg.seed, asked=asked, got=got, done=time.time(), built=built)
