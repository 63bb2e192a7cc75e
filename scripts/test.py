"""The README's test command: obtain what the tests need, then run them.

Run with the virtualenv's Python (`.venv/bin/python scripts/test.py [pytest arguments]`):

1. A browser for the browser tests: Debian's Chromium at /usr/bin/chromium, installed with
   apt-get where this machine has it and may (as root, or through sudo without a password);
   otherwise Playwright's own Chromium, downloaded once by `playwright install chromium`.
   HAProxy and Redis for the two-node test, and OpenLDAP's slapd for the directory log-in
   tests, from Debian's packages the same way (those tests are skipped, said out loud, where
   they cannot be had).
2. PostgreSQL: the database EVALAPP_TEST_POSTGRES_URL names, when set; otherwise, when a
   server answers at EVALAPP_TEST_POSTGRES_SERVER (default: postgres@127.0.0.1:5432, as a
   fresh local install has it), a fresh database made for this run and dropped after it;
   otherwise SQLite only, said out loud (the first line of the test run says it too).
3. pytest, on SQLite and on that PostgreSQL database, spread over one worker process per core
   (pytest-xdist: each worker migrates its own SQLite template and PostgreSQL schema, so the
   workers share nothing but the server). `-n 0` among the arguments runs in one process.
   Tests are handed out by work stealing (`--dist worksteal`): a worker that runs out takes
   half of the other's remaining tests, so that the long ones (the browser walks, the
   disclosure attack's parts) do not leave one worker busy minutes after the other is done.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
DEBIAN_SLAPD = Path("/usr/sbin/slapd")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def say(message: str) -> None:
    print(f"scripts/test: {message}", flush=True)


def _as_root(command: list[str]) -> list[str] | None:
    """`command` run as root: directly when we are, through `sudo -n` when it needs no
    password, else None."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return command
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"],
                                               capture_output=True).returncode == 0:
        return ["sudo", "-n", *command]
    return None


def _apt_install(packages: list[str], why: str) -> None:
    install = _as_root(["apt-get", "install", "-y", "-q", *packages])
    if not shutil.which("apt-get") or install is None:
        return
    say(f"installing Debian's {' and '.join(packages)} for {why} (apt-get)")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=environment, capture_output=True).returncode != 0:
        subprocess.run(_as_root(["apt-get", "update", "-q"]), env=environment,
                       capture_output=True)
        subprocess.run(install, env=environment, capture_output=True)


def ensure_proxy_and_redis() -> None:
    """HAProxy and Redis for tests/test_cluster.py (two nodes behind a proxy)."""
    if not (shutil.which("haproxy") and shutil.which("redis-server")):
        _apt_install(["haproxy", "redis-server"], "the two-node test")
    if not (shutil.which("haproxy") and shutil.which("redis-server")):
        say("WARNING: no haproxy or redis-server here: the two-node test is skipped")


def _have_slapd() -> bool:
    return bool(shutil.which("slapd")) or DEBIAN_SLAPD.exists()  # /usr/sbin: not in every PATH


def ensure_slapd() -> None:
    """OpenLDAP's server for tests/test_directory.py (directory log-in)."""
    if not _have_slapd():
        _apt_install(["slapd", "ldap-utils"], "the directory log-in tests")
    if not _have_slapd():
        say("WARNING: no slapd here: the directory log-in tests are skipped")


def ensure_browser() -> None:
    if not DEBIAN_CHROMIUM.exists():
        _apt_install(["chromium"], "the browser tests")
    if DEBIAN_CHROMIUM.exists():
        return
    say("no Debian chromium here: installing Playwright's own Chromium instead")
    result = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"])
    if result.returncode != 0:
        say("WARNING: could not install a browser; the browser tests will fail and say why")


@contextlib.contextmanager
def postgres_for_run() -> Iterator[str | None]:
    """The URL of a PostgreSQL database the tests may use, or None when no server answers."""
    given = os.environ.get("EVALAPP_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    import psycopg

    server = os.environ.get("EVALAPP_TEST_POSTGRES_SERVER", DEFAULT_SERVER)
    try:
        connection = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        say(f"WARNING: NO PostgreSQL server answers at {server} ({str(error).strip()}): "
            "the tests run on SQLite ONLY")
        yield None
        return
    name = f"evalapp_test_{secrets.token_hex(4)}"
    with connection:
        connection.execute(f"CREATE DATABASE {name}")
        say(f"PostgreSQL: testing in the fresh database {name}")
        try:
            info = connection.info
            yield (f"postgresql+psycopg://{info.user}"
                   + (f":{info.password}" if info.password else "")
                   + f"@{info.host}:{info.port}/{name}")
        finally:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main(arguments: list[str]) -> int:
    os.chdir(Path(__file__).resolve().parents[1])
    ensure_browser()
    ensure_proxy_and_redis()
    ensure_slapd()
    with postgres_for_run() as url:
        environment = dict(os.environ)
        if url:
            environment["EVALAPP_TEST_POSTGRES_URL"] = url
        return subprocess.run([sys.executable, "-m", "pytest", "-n", "auto", "--dist", "worksteal",
                               "--durations=25",
                               *arguments],
                              env=environment).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
