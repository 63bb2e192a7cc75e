"""Configuration comes from the instance folder and EVALAPP_* variables; the secret key is
generated once per installation, never written in the code."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from evalapp.config import KEY_ENCRYPTION_KEY_FILE, SECRET_KEY_FILE
from tests.support.apps import build_app, dispose


def test_a_secret_key_is_generated_once_and_kept(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("EVALAPP_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = build_app(database_url, instance, SECRET_KEY=None)
    second = build_app(database_url, instance, SECRET_KEY=None)
    dispose(first)
    dispose(second)
    key_file = instance / SECRET_KEY_FILE
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert key_file.read_text() == first.config["SECRET_KEY"]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    elsewhere = build_app(database_url, tmp_path / "elsewhere", SECRET_KEY=None)
    dispose(elsewhere)
    assert elsewhere.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_environment_variables_configure_the_app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALAPP_DATABASE_URL", database_url)
    monkeypatch.setenv("EVALAPP_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("EVALAPP_BASE_URL", "http://192.0.2.10:8000")
    from evalapp import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    dispose(app)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["BASE_URL"] == "http://192.0.2.10:8000"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url


def test_the_instance_config_file_is_read(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("EVALAPP_BASE_URL", raising=False)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('BASE_URL = "http://meeting-room.local"\n')
    app = build_app(database_url, instance, BASE_URL=None)
    dispose(app)
    assert app.config["BASE_URL"] == "http://meeting-room.local"


def test_sqlite_is_the_default_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALAPP_DATABASE_URL", raising=False)
    from evalapp import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "SCHEMA_CHECK": False})
    dispose(app)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{tmp_path / 'instance' / 'evalapp.sqlite3'}"
    )


@pytest.mark.parametrize("given", ["", "zz" * 32, "ab" * 31, "ab" * 33])
def test_a_key_encryption_key_that_is_not_32_bytes_is_refused_at_start(tmp_path, monkeypatch,
                                                                        given):
    """Said in a line at start (no traceback), not found out at the first close: an empty
    variable is left to the instance folder's own key."""
    monkeypatch.setenv("EVALAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("EVALAPP_KEY_ENCRYPTION_KEY", given)
    result = subprocess.run([str(Path(sys.executable).parent / "evalapp"), "routes"],
                            capture_output=True, text=True, timeout=120)
    if not given:
        assert result.returncode == 0
        assert len((tmp_path / "instance" / KEY_ENCRYPTION_KEY_FILE).read_text()) == 64
        return
    assert result.returncode == 1
    assert "EVALAPP_KEY_ENCRYPTION_KEY must be 64 hexadecimal digits" in result.stderr
    assert "Traceback" not in result.stderr
