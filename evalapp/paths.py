"""Where the repository-level folders live.

`static/` and `migrations/` sit at the top of the repository beside the package (the project
layout requires it), so they are found from this file rather than from the working directory:
the app must behave the same whether started from the checkout, from a service manager or from
a test runner in another folder.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
STATIC_DIR = PROJECT_DIR / "static"
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
