"""Imports go one way: `evalapp` may use `forms` and `analysis`, never the reverse."""

from __future__ import annotations

import subprocess
import sys

import pytest


def imports_cleanly_without(package: str, blocked: list[str]) -> subprocess.CompletedProcess:
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None  # importing it now raises ImportError\n"
        f"import {package}\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_analysis_imports_without_flask_or_a_database():
    result = imports_cleanly_without("analysis", ["flask", "sqlalchemy", "evalapp", "forms"])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", ["forms", "forms.auth"])
def test_forms_do_not_import_the_app(module):
    result = imports_cleanly_without(module, ["evalapp"])
    assert result.returncode == 0, result.stderr
