"""Fixtures: every app-level test runs once per database backend.

SQLite always; PostgreSQL too when EVALAPP_TEST_POSTGRES_URL names a server (the header of the
test run says which, so a skipped backend is never silent). Each backend is migrated once per
run; each test then starts from empty tables: a copy of the migrated SQLite file, or the
PostgreSQL tables truncated. Tests commit for real, because concurrency and constraints are
what they test.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import make_url

from evalapp import create_app
from evalapp.extensions import db
from evalapp.schema import upgrade_schema
from tests.support.factories import PASSWORD

POSTGRES_URL = os.environ.get("EVALAPP_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        return f"databases: SQLite and PostgreSQL ({shown})"
    return ("databases: SQLite only. PostgreSQL is NOT tested: set EVALAPP_TEST_POSTGRES_URL "
            "(as .ci/run does) to test it too")


def postgres_schema_url(schema: str) -> str:
    """The test server's URL with its search path set to `schema`, so tests never touch the
    database's own tables."""
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


class PostgresSchema:
    """A schema of its own on the test server, created for this run and dropped after it."""

    def __init__(self) -> None:
        self.name = f"evalapp_test_{secrets.token_hex(4)}"
        self.admin = sa.create_engine(POSTGRES_URL)
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {self.name}")
        self.url = postgres_schema_url(self.name)

    def drop(self) -> None:
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {self.name} CASCADE")
        self.admin.dispose()


def build_app(database_url: str, instance: Path, **config: Any) -> Flask:
    """A test app; a setting given as None is left to the instance folder and environment."""
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(instance),
        "BASE_URL": "http://evalapp.test",
        **config,
    }
    return create_app({key: value for key, value in settings.items() if value is not None})


def dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(name, migrated template) for one backend: a migrated SQLite file, or a migrated
    PostgreSQL schema."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("template") / "template.sqlite3"
        url = f"sqlite:///{template}"
        schema = None
    else:
        schema = PostgresSchema()
        url = schema.url
    app = build_app(url, tmp_path_factory.mktemp("instance"), SCHEMA_CHECK=False)
    upgrade_schema(app)
    dispose(app)
    yield request.param, url
    if schema is not None:
        schema.drop()


@pytest.fixture
def database_url(backend: tuple[str, str], tmp_path: Path) -> str:
    name, template_url = backend
    if name == "sqlite":
        template = Path(make_url(template_url).database or "")
        copy = tmp_path / "evalapp.sqlite3"
        shutil.copyfile(template, copy)
        return f"sqlite:///{copy}"
    engine = sa.create_engine(template_url)
    with engine.begin() as connection:
        tables = [
            name for name in sa.inspect(connection).get_table_names()
            if name != "alembic_version"
        ]
        connection.exec_driver_sql(
            f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
        )
    engine.dispose()
    return template_url


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = build_app(database_url, tmp_path / "instance", **config)
        made.append(app)
        return app

    yield make
    for app in made:
        dispose(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str = "organiser", password: str = PASSWORD):
    """Log `client` in through the log-in form, as a person would."""
    token = csrf_token(client, "/auth/login")
    return client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": token}
    )


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "organiser", password: str = PASSWORD):
        return login(self._client, username, password)

    def logout(self):
        token = csrf_token(self._client, "/")
        return self._client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served by Waitress on a free loopback port, as in production."""
    import threading

    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"

    def close_everything() -> None:
        for dispatcher in list(server._map.values()):
            dispatcher.close()

    # Sockets are closed on the server's own thread, through its trigger: closed from this
    # thread, they could vanish under the select() of a busy server (EBADF at teardown).
    server.trigger.pull_trigger(close_everything)
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


def fontconfig_with_chinese(folder: Path) -> Path:
    """A fontconfig file that adds the Noto Sans CJK font the app already installs (for its
    PDFs) to the system's fonts. A phone has Chinese fonts; a bare CI machine may not, and its
    screenshots would show boxes where the page is fine."""
    from noto_cjk_sans_otc import FONT_PATH

    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{Path(str(FONT_PATH)).parent}</dir>"
        f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    return config


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's Chromium, else Playwright's own, headless, driven by Playwright. A missing
    browser fails the browser tests rather than skipping them (the README's test command,
    scripts/test.py, installs one)."""
    from playwright.sync_api import sync_playwright

    fonts = fontconfig_with_chinese(tmp_path_factory.mktemp("fonts"))
    with sync_playwright() as playwright:
        if not CHROMIUM.exists() and not Path(playwright.chromium.executable_path).exists():
            pytest.fail(f"no browser: neither {CHROMIUM} nor Playwright's Chromium is there; "
                        "run the tests with scripts/test.py, which installs one")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM) if CHROMIUM.exists() else None,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            env={**os.environ, "FONTCONFIG_FILE": str(fonts)},
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server: str):
    """A fresh browser context; every request that leaves the server under test is recorded
    (and refused) so that a test can assert the page needs no outside network."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.outside_requests = []

    def refuse_outside(route):
        if route.request.url.startswith(live_server) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            page.outside_requests.append(route.request.url)
            route.abort()

    page.route("**/*", refuse_outside)
    page.console_errors = []
    page.on("console", lambda message: message.type == "error"
            and page.console_errors.append(message.text))
    yield page
    context.close()
