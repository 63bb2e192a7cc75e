"""The code passes the project's linter (ruff, configured in pyproject.toml)."""

import shutil
import subprocess

from evalapp.paths import PROJECT_DIR


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(PROJECT_DIR / ".venv" / "bin" / "ruff")
    result = subprocess.run([ruff, "check", str(PROJECT_DIR)], capture_output=True, text=True,
                            cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
