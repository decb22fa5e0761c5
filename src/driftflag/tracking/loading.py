"""Load a model only from the workspace's registry, with the types to trust fixed in the code.

Opening a pickle (``joblib.load``) runs whatever code the file names, and MLflow's own loader
trusts the skops types listed in the model's ``MLmodel`` file, which whoever wrote the file
chose. driftflag therefore loads a model only when it is a version registered in the
workspace, stored under the workspace's ``artifacts/`` folder in skops format, and opens it
trusting only :data:`TRUSTED_MODEL_TYPES`: the types that the three model specs build
(scikit-learn pipelines, calibration, LightGBM, the rule baseline).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from driftflag.tracking._errors import TrackingError
from driftflag.tracking.registry import InUse, in_use
from driftflag.tracking.runs import model_name, use_workspace

__all__ = ["TRUSTED_MODEL_TYPES", "check_model_ref", "load_registered_model", "untrusted_types"]

#: Types beyond skops' own defaults that driftflag's model specs need (checked by a test that
#: builds every kind). Nothing else is ever trusted, whatever a model file says.
TRUSTED_MODEL_TYPES: tuple[str, ...] = (
    "collections.OrderedDict",
    "driftflag.models.baseline.RuleBaseline",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)

_REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_model_ref(ref: str | None) -> str | None:
    """``ref`` if it names a registered version or alias; a file or URI is refused in one line."""
    if ref is None:
        return None
    text = str(ref).strip()
    if _REF.match(text) and not Path(text).is_file():
        return text
    raise TrackingError(
        f"--model {text!r}: driftflag loads models only from the workspace's registry (opening a "
        "model file can run any code in it); give a registered version number or an alias such "
        "as 'champion' (see `driftflag models list`)")


def untrusted_types(model: Any) -> list[str]:
    """Types in ``model`` that skops does not trust by default (what a load must be told)."""
    import skops.io as sio

    return sorted(sio.get_untrusted_types(data=sio.dumps(model)))


def _local_folder(uri: str, workspace: Path) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        raise TrackingError(f"model stored at {uri} is outside the workspace; driftflag will not load it")
    folder = Path(unquote(parsed.path)).resolve()
    root = (workspace / "artifacts").resolve()
    if not folder.is_relative_to(root):
        raise TrackingError(f"model stored at {folder} is outside the workspace's artifacts folder "
                            f"{root}; driftflag will not load it")
    return folder


def load_registered_model(workspace: Path, target: str, ref: str | None = None) -> tuple[Any, InUse]:
    """The fitted model registered as ``ref`` (default: the champion) and what it is."""
    import yaml

    ws = Path(workspace).resolve()
    if not (ws / "mlflow.db").is_file():
        raise TrackingError(f"no model registry in {ws}: run `driftflag train` with this workspace first")
    use = in_use(ws, target, check_model_ref(ref))
    client = use_workspace(ws)
    name = model_name(target)
    folder = _local_folder(client.get_model_version_download_uri(name, use.version), ws)
    try:
        mlmodel = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise TrackingError(f"{name} v{use.version}: cannot read its MLmodel file ({e.__class__.__name__})") from e
    flavor = (mlmodel.get("flavors") or {}).get("sklearn") or {}
    if flavor.get("serialization_format") != "skops":
        raise TrackingError(f"{name} v{use.version} is not saved in skops format; driftflag does not "
                            "open pickled models: retrain it with `driftflag train`")
    path = (folder / str(flavor.get("pickled_model", "model.skops"))).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise TrackingError(f"{name} v{use.version}: its model file is missing from {folder}")
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        model = sio.load(path, trusted=list(TRUSTED_MODEL_TYPES))
    except UntrustedTypesFoundException as e:
        raise TrackingError(f"{name} v{use.version} holds types driftflag does not trust ({e}); "
                            "it was not built by driftflag's model specs") from e
    except Exception as e:  # noqa: BLE001 - a damaged file raises many types; one line says so
        raise TrackingError(f"{name} v{use.version}: cannot open its model file "
                            f"({e.__class__.__name__})") from e
    return model, use
