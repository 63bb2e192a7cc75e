"""Where the repository-level folders live, and how files in the instance folder are written.

`static/` and `migrations/` sit at the top of the repository beside the package (the project
layout requires it), so they are found from this file rather than from the working directory:
the app must behave the same whether started from the checkout, from a service manager or from
a test runner in another folder.
"""

import os
import threading
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
STATIC_DIR = PROJECT_DIR / "static"
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


def write_atomically(path: Path, content: bytes) -> None:
    """Write `path` under a name of this process and thread, then rename it into place: a
    reader in any worker sees the old file or the new one, never half of one. The folder must
    exist."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_bytes(content)
    partial.replace(path)
