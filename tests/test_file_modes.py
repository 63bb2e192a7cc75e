"""Files only their owner reads (issue 23, part 5): under an umask of 000, which a service
manager or a careless shell may set, everything the app writes in its instance folder (the
folder itself, the secret key, the SQLite database with its WAL and shared memory, the ballot
key-encryption key, results, the demo's ticket sheet, a backup, an export) is 0600 or
0700. With the defence off (the modes left to the umask) the same walk
finds world-readable files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask import Flask

from evalapp import paths
from evalapp.schema import upgrade_schema
from tests.support.apps import build_app, dispose


@pytest.fixture
def open_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def instance_app(backend: tuple[str, str], database_url: str, instance: Path) -> Flask:
    """An app whose instance folder is new, with its own secret key file and, on SQLite, its
    database in the default place (the instance folder)."""
    url = None if backend[0] == "sqlite" else database_url
    app = build_app(url, instance, SECRET_KEY=None, SCHEMA_CHECK=False)
    upgrade_schema(app)
    return app


def use_the_instance_folder(app: Flask, instance: Path) -> None:
    """What writes files: the demo (results, the ticket sheet), a backup and an export."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["backup", str(instance / "backup.db")]).exit_code == 0
    report = runner.invoke(args=["report", "1", "--format", "csv",
                                 "--output", str(instance / "report.csv")])
    assert report.exit_code == 0, report.output


def readable_by_others(instance: Path) -> list[str]:
    found = []
    for path in [instance, *instance.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(instance.parent)} {oct(mode)}")
    return found


def written_files(instance: Path) -> set[str]:
    return {path.name for path in instance.rglob("*") if path.is_file()}


def database_files(instance: Path) -> dict[str, int]:
    """The SQLite files and their modes while the app holds its connections (the WAL and
    shared-memory files go when the last one closes)."""
    return {path.name: stat.S_IMODE(path.stat().st_mode)
            for path in instance.glob("evalapp.sqlite3*")}


def test_under_umask_000_every_file_is_its_owners_alone(backend, database_url, tmp_path,
                                                        open_umask):
    instance = tmp_path / "instance"
    app = instance_app(backend, database_url, instance)
    use_the_instance_folder(app, instance)
    if backend[0] == "sqlite":
        assert database_files(instance) == {"evalapp.sqlite3": 0o600,
                                            "evalapp.sqlite3-wal": 0o600,
                                            "evalapp.sqlite3-shm": 0o600}
    dispose(app)
    files = written_files(instance)
    assert {"secret_key", "key_encryption_key", "backup.db", "report.csv"} <= files
    assert readable_by_others(instance) == []


def test_with_the_modes_left_to_the_umask_the_files_are_world_readable(
        backend, database_url, tmp_path, open_umask, monkeypatch):
    monkeypatch.setattr(paths, "FILE_MODE", 0o666)
    monkeypatch.setattr(paths, "FOLDER_MODE", 0o777)
    instance = tmp_path / "instance"
    app = instance_app(backend, database_url, instance)
    use_the_instance_folder(app, instance)
    if backend[0] == "sqlite":
        assert database_files(instance)["evalapp.sqlite3-wal"] == 0o666
    dispose(app)
    exposed = readable_by_others(instance)
    assert "instance 0o777" in exposed
    assert any("secret_key" in line for line in exposed)
    assert any("backup.db" in line for line in exposed)
