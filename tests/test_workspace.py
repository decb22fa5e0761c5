"""The Workspace value object: one folder, one tracking URI, one registry URI for every stage."""

from __future__ import annotations

from pathlib import Path

from driftflag.workspace import ENV_WORKSPACE, Workspace


def test_a_folder_is_its_own_sqlite_store(tmp_path):
    ws = Workspace.resolve(tmp_path / "ws")
    assert ws.path == (tmp_path / "ws").resolve() and (ws.path / "artifacts").is_dir()
    assert ws.tracking_uri == ws.registry_uri == f"sqlite:///{ws.path / 'mlflow.db'}"
    assert Workspace.resolve(ws) is ws


def test_a_server_uri_is_passed_down_unchanged(tmp_path):
    ws = Workspace.resolve(tmp_path, tracking_uri="http://127.0.0.1:5000", create=False)
    assert (ws.tracking_uri, ws.registry_uri) == ("http://127.0.0.1:5000",) * 2
    ws = Workspace.resolve(tmp_path, tracking_uri="http://t", registry_uri="http://r")
    assert (ws.tracking_uri, ws.registry_uri) == ("http://t", "http://r")


def test_the_default_is_the_environment_then_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_WORKSPACE, str(tmp_path / "env"))
    assert Workspace.resolve(create=False).path == (tmp_path / "env").resolve()
    monkeypatch.delenv(ENV_WORKSPACE)
    monkeypatch.chdir(tmp_path)
    ws = Workspace.resolve(create=False)
    assert ws.path == (tmp_path / "driftflag-workspace").resolve() and not ws.path.exists()
    assert isinstance(ws.path, Path)


def test_one_workspace_type_and_the_environment(tmp_path, monkeypatch):
    """tracking's workspace is this one, and both read $DRIFTFLAG_TRACKING_URI the same way."""
    from driftflag.tracking import Workspace as TrackingWorkspace
    from driftflag.tracking import as_workspace

    assert TrackingWorkspace is Workspace
    monkeypatch.setenv("DRIFTFLAG_TRACKING_URI", "http://127.0.0.1:5999")
    ws = Workspace.resolve(tmp_path / "ws")
    assert ws.tracking_uri == ws.registry_uri == "http://127.0.0.1:5999" and not ws.local
    assert as_workspace(tmp_path / "ws") == ws
    assert ws.folder == ws.path and ws.artifact_location is None


def test_a_stage_uses_its_workspaces_server(tmp_path, monkeypatch):
    """A notebook's Workspace naming a server reaches the tracking layer below the stage."""
    import os

    from driftflag.stages._uris import honours_workspace

    monkeypatch.delenv("DRIFTFLAG_TRACKING_URI", raising=False)
    seen = {}

    @honours_workspace
    def stage(store, *, workspace):
        seen["uri"] = os.environ.get("DRIFTFLAG_TRACKING_URI")
        return workspace

    remote = Workspace.resolve(tmp_path / "ws", tracking_uri="http://127.0.0.1:5998")
    stage("store", workspace=remote)
    assert seen["uri"] == "http://127.0.0.1:5998"
    assert "DRIFTFLAG_TRACKING_URI" not in os.environ  # restored afterwards
    stage("store", workspace=Workspace.resolve(tmp_path / "ws"))
    assert seen["uri"] is None  # the folder's own store: nothing set
