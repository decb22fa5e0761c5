"""Load a model only from the workspace's registry, with the types to trust fixed in the code.

:func:`load_model` is the one way any stage gets a fitted model: it looks the version up
(:func:`~driftflag.tracking.in_use`: a number, an alias, by default the champion) and returns the
complete artefact, a ``Pipeline`` that scores a raw snapshot frame on its own (its feature
encoding is its first step, :mod:`driftflag.models.encoding`). A version registered before the
encoding travelled with the model is given the encoder its column names describe (exact).

Opening a pickle (``joblib.load``) runs whatever code the file names, and MLflow's own loader
trusts the skops types listed in the model's ``MLmodel`` file, which whoever wrote the file
chose. driftflag therefore loads a model only when it is a version registered in the
workspace, stored under the workspace's ``artifacts/`` folder in skops format, and opens it
trusting only :data:`TRUSTED_MODEL_TYPES`: the types that the three model specs build
(scikit-learn pipelines, calibration, LightGBM, the rule baseline, the feature encoder). With a
team tracking server (:class:`~driftflag.tracking.Workspace`) the registry is the server's: the
version's files are downloaded from the server's artifact store into a temporary folder and
opened under the same rules.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from driftflag.tracking._errors import TrackingError
from driftflag.tracking._workspace import Workspace, as_workspace
from driftflag.tracking.registry import InUse, in_use
from driftflag.tracking.runs import model_name, use_workspace

__all__ = ["TRUSTED_MODEL_TYPES", "LoadedModel", "check_model_ref", "load_model", "load_registered_model",
           "untrusted_types"]

#: Types beyond skops' own defaults that driftflag's model specs need (checked by a test that
#: builds every kind). Nothing else is ever trusted, whatever a model file says.
TRUSTED_MODEL_TYPES: tuple[str, ...] = (
    "collections.OrderedDict",
    "driftflag.models._impute.MedianImputer",
    "driftflag.models.baseline.RuleBaseline",
    "driftflag.models.encoding.FeatureEncoder",
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


@dataclass(frozen=True)
class LoadedModel:
    """A registered version, loaded: the complete scoring pipeline and which version it is."""

    pipeline: Any
    in_use: InUse

    @property
    def label(self) -> str:
        """One line for people: which model and why it is in use."""
        return self.in_use.label

    @property
    def version(self) -> str:
        return self.in_use.version

    @property
    def run_id(self) -> str:
        return self.in_use.run_id

    @property
    def features(self) -> list[str]:
        """The raw snapshot columns the model reads."""
        return [str(f) for f in self.pipeline.named_steps["encode"].features_]


def load_model(workspace: Workspace | Path | str | None, target: str,
               alias_or_version: str | None = None) -> LoadedModel:
    """The registered model ``alias_or_version`` (default: the champion) of ``target``.

    Raises :class:`TrackingError` with one line for a missing registry, version or alias, a
    model file or URI instead of a registered name, a model not saved by driftflag, or one
    holding types outside :data:`TRUSTED_MODEL_TYPES`.
    """
    from driftflag.models.encoding import as_scoring_pipeline

    ws = as_workspace(workspace)
    if ws.local and not (ws.folder / "mlflow.db").is_file():
        raise TrackingError(f"no model registry in {ws.folder}: run `driftflag train` with this workspace first")
    use = in_use(ws, target, check_model_ref(alias_or_version))
    client = use_workspace(ws)
    name = model_name(target)
    uri = client.get_model_version_download_uri(name, use.version)
    if ws.local:
        model = _open(_local_folder(uri, ws.folder), f"{name} v{use.version}")
    else:
        import mlflow.artifacts

        with tempfile.TemporaryDirectory(prefix="driftflag-model-") as tmp:
            try:
                got = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp,
                                                          tracking_uri=ws.tracking_uri)
            except Exception as e:  # noqa: BLE001 - network and store errors differ by backend
                raise TrackingError(f"{name} v{use.version}: cannot download it from "
                                    f"{ws.tracking_uri} ({e.__class__.__name__})") from e
            model = _open(Path(got).resolve(), f"{name} v{use.version}")
    try:
        pipeline = as_scoring_pipeline(model)
    except Exception as e:  # noqa: BLE001 - an old version without feature names
        raise TrackingError(f"{name} v{use.version} was registered without its feature encoding or "
                            "feature names; retrain it with `driftflag train`") from e
    return LoadedModel(pipeline=pipeline, in_use=use)


def _open(folder: Path, what: str) -> Any:
    """Open the skops model file in ``folder``, trusting only :data:`TRUSTED_MODEL_TYPES`."""
    import yaml

    try:
        mlmodel = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise TrackingError(f"{what}: cannot read its MLmodel file ({e.__class__.__name__})") from e
    flavor = (mlmodel.get("flavors") or {}).get("sklearn") or {}
    if flavor.get("serialization_format") != "skops":
        raise TrackingError(f"{what} is not saved in skops format; driftflag does not "
                            "open pickled models: retrain it with `driftflag train`")
    path = (folder / str(flavor.get("pickled_model", "model.skops"))).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise TrackingError(f"{what}: its model file is missing from {folder}")
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return sio.load(path, trusted=list(TRUSTED_MODEL_TYPES))
    except UntrustedTypesFoundException as e:
        raise TrackingError(f"{what} holds types driftflag does not trust ({e}); "
                            "it was not built by driftflag's model specs") from e
    except Exception as e:  # noqa: BLE001 - a damaged file raises many types; one line says so
        raise TrackingError(f"{what}: cannot open its model file ({e.__class__.__name__})") from e


def load_registered_model(workspace: Workspace | Path, target: str, ref: str | None = None) -> tuple[Any, InUse]:
    """``(pipeline, in use)``: :func:`load_model` under its earlier name, kept for callers not
    yet moved to it."""
    loaded = load_model(workspace, target, ref)
    return loaded.pipeline, loaded.in_use
