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
