"""The packages keep one declared order (pyproject.toml, [tool.importlinter]): import-linter
checks the layers, that no two packages of the app import each other, and the forbidden
imports; and a forbidden import added to a copy of the code breaks the check, so the
contracts are not empty words."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("evalapp", "forms", "analysis", "bench", "tests")
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True))")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter on the code under `root`, with its pyproject.toml."""
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, capture_output=True,
                          text=True, timeout=120)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contracts(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    models = tmp_path / "evalapp" / "campaigns" / "models.py"
    models.write_text(models.read_text() + "\nfrom evalapp.results import compute  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "evalapp.campaigns.models -> evalapp.results.compute" in result.stdout
