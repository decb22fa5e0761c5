"""Pipeline definitions: ``pipelines/*.yaml`` loaded into a validated :class:`PipelineConfig`.

A pipeline is a list of steps, each of a registered *kind* (``synth``, ``ingest``, ``features``,
``train``, ...) with parameters validated by that kind's own pydantic model before any work
starts, so a typo fails in a second with a message naming the key, not an hour into a run.

Strings may refer to pipeline variables as ``${name}``; ``driftflag run --set name=value``
overrides a variable (or any dotted key of the file, e.g. ``steps.train.with.seed=3``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftflag.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StepSpec(BaseModel):
    """One step: an id unique in the pipeline, a kind, and the kind's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: str
    params: dict[str, Any] = Field(default_factory=dict, alias="with")
    description: str = ""


class PipelineConfig(BaseModel):
    """A whole pipeline file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str = ""
    vars: dict[str, Any] = Field(default_factory=dict)
    workspace: str | None = None
    tracking_uri: str | None = None
    steps: list[StepSpec] = Field(min_length=1)
    #: Folder that relative paths in the file are resolved against: the project root when the
    #: file sits in a ``pipelines/`` folder, else the file's own folder. Set by ``from_yaml``.
    base_dir: Path | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> PipelineConfig:
        seen: set[str] = set()
        for s in self.steps:
            if s.id in seen:
                raise ValueError(f"step id {s.id!r} is used twice")
            seen.add(s.id)
        return self

    @classmethod
    def from_yaml(cls, path: Path, overrides: list[str] | None = None) -> PipelineConfig:
        """The only place a pipeline YAML is read: parse, apply ``--set``, substitute, validate."""
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text())
        except FileNotFoundError as e:
            raise ConfigError(f"{path}: pipeline file not found") from e
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}:{where} is not valid YAML") from e
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: a pipeline file is a mapping with name, vars and steps")
        raw = apply_overrides(raw, overrides or [], source=str(path))
        here = path.resolve().parent
        raw.setdefault("base_dir", str(here.parent if here.name == "pipelines" else here))
        raw = substitute(raw, raw.get("vars") or {}, source=str(path))
        try:
            cfg = cls.model_validate(raw)
        except ValidationError as e:
            raise ConfigError(f"{path}: {one_line(e, raw)}") from e
        from driftflag.pipeline.steps import validate_step_params

        for i, step in enumerate(cfg.steps):
            validate_step_params(step, where=f"{path}: steps[{i}] ({step.id})", base_dir=cfg.base_dir)
        return cfg


def one_line(e: ValidationError, raw: Any = None) -> str:
    """The first validation problem as ``key.path: message`` (an unknown key first: a typo
    usually also makes a required key look missing, and the typo is the thing to fix)."""
    errors = e.errors()
    err = next((x for x in errors if x.get("type") == "extra_forbidden"), errors[0])
    parts = []
    node = raw
    for p in err.get("loc", ()):
        if isinstance(p, int) and isinstance(node, list) and p < len(node):
            node = node[p]
            sid = node.get("id") if isinstance(node, dict) else None
            parts.append(f"[{p}]" + (f" ({sid})" if sid else ""))
        else:
            node = node.get(p) if isinstance(node, dict) else None
            parts.append(f".{p}" if parts else str(p))
    key = "".join(parts) or "file"
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = "unknown key (not allowed here)"
    return f"{key}: {msg}"


def apply_overrides(raw: dict, overrides: list[str], *, source: str) -> dict:
    """Apply ``key=value`` overrides: a bare name sets a variable; a dotted path sets that key.

    ``steps.<id>.with.<key>`` addresses a step by its id. Values are parsed as YAML scalars.
    """
    raw = dict(raw)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        key, value = item.split("=", 1)
        val = yaml.safe_load(value) if value else ""
        path = key.strip().split(".")
        if len(path) == 1:
            raw["vars"] = {**(raw.get("vars") or {}), path[0]: val}
            continue
        node: Any = raw
        for i, part in enumerate(path[:-1]):
            if isinstance(node, list):
                match = [s for s in node if isinstance(s, dict) and s.get("id") == part]
                if not match:
                    raise ConfigError(f"--set {key}: no step with id {part!r} in {source}")
                node = match[0]
            elif isinstance(node, dict):
                if part not in node or not isinstance(node[part], dict | list):
                    node[part] = {}
                node = node[part]
            else:
                raise ConfigError(f"--set {key}: {'.'.join(path[: i + 1])} is not a mapping")
        node[path[-1]] = val
    return raw


def substitute(obj: Any, variables: dict[str, Any], *, source: str) -> Any:
    """Replace ``${name}`` in every string by the variable's value."""
    if isinstance(obj, str):
        whole = _VAR.fullmatch(obj)
        if whole:
            name = whole.group(1)
            if name not in variables:
                raise ConfigError(f"{source}: ${{{name}}} is not defined under vars")
            return variables[name]

        def rep(m: re.Match) -> str:
            if m.group(1) not in variables:
                raise ConfigError(f"{source}: ${{{m.group(1)}}} is not defined under vars")
            return str(variables[m.group(1)])

        return _VAR.sub(rep, obj)
    if isinstance(obj, list):
        return [substitute(x, variables, source=source) for x in obj]
    if isinstance(obj, dict):
        return {k: (v if k == "vars" else substitute(v, variables, source=source))
                for k, v in obj.items()}
    return obj
