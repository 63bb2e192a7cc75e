"""Where the repository-level folders live, and how files in the instance folder are written.

Every file the app writes (keys, the database, backups, results, uploads, printed sheets) is
its owner's alone: files 0600 and folders 0700, given explicitly at creation rather than left
to the process's umask, which a service manager or a shell may have set to 000 (issue 23:
under the default umask the instance folder, the database, its WAL and the backups were
world-readable). The process's umask itself is left alone, so libraries keep theirs.

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


FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """`path` made if missing (with its parents) and set to 0700 whatever the umask; returned."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.chmod(path, FOLDER_MODE)
    return path


def make_private(path: Path) -> None:
    """Set a file another program wrote (SQLite, pg_dump) to 0600, when it exists."""
    if path.exists():
        os.chmod(path, FILE_MODE)


def create_private(path: Path, *, exclusive: bool = False) -> int:
    """Open `path` for writing, created 0600 (truncated when it exists, refused with
    FileExistsError when `exclusive`); the mode is set again on the open file, so an umask
    of 000 or an existing file's looser mode does not leave it readable. Returns the file
    descriptor (for os.fdopen)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    return descriptor


def write_private(path: Path, content: bytes, *, exclusive: bool = False) -> None:
    """Write `path` whole, readable by its owner only (create_private)."""
    with os.fdopen(create_private(path, exclusive=exclusive), "wb") as handle:
        handle.write(content)


def write_atomically(path: Path, content: bytes) -> None:
    """Write `path` under a name of this process and thread, then rename it into place: a
    reader in any worker sees the old file or the new one, never half of one. Owner only
    (0600). The folder must exist."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    write_private(partial, content)
    partial.replace(path)
