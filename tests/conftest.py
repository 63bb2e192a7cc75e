"""Fixtures: every app-level test runs once per database backend.

SQLite always; PostgreSQL too when EVALAPP_TEST_POSTGRES_URL names a server (the header of the
test run says which, so a skipped backend is never silent). Each backend is migrated once per
run; each test then starts from empty tables: a copy of the migrated SQLite file, or the
PostgreSQL tables truncated. Tests commit for real, because concurrency and constraints are
what they test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import make_url

from tests.support.apps import (
    BACKENDS,
    POSTGRES_URL,
    PostgresSchema,
    build_app,
    copy_of_sqlite,
    dispose,
    migrate,
)
from tests.support.browser import CHROMIUM, fontconfig_with_chinese
from tests.support.clock import Clock
from tests.support.organiser import TicketCampaign, make_ticket_campaign
from tests.support.served import served


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "one_database: a test of rendering (a real browser, a PDF, a parsed office file) whose "
        "database is incidental: run on PostgreSQL, the production database, when it is "
        "tested, else on SQLite; everything that stores or reads runs on both")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leaves out the SQLite run of each `one_database` test when PostgreSQL is tested: what
    such a test checks is the same on either database, and the browser walks and PDFs it
    makes are the slowest part of the suite."""
    if not POSTGRES_URL:
        return
    left_out = [item for item in items if item.get_closest_marker("one_database")
                and getattr(item, "callspec", None) is not None
                and item.callspec.params.get("backend") == "sqlite"]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in set(left_out)]


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        return f"databases: SQLite and PostgreSQL ({shown})"
    return ("databases: SQLite only. PostgreSQL is NOT tested: set EVALAPP_TEST_POSTGRES_URL "
            "(as .ci/run does) to test it too")


_SCHEMAS: dict[str, PostgresSchema] = {}  # a PostgreSQL backend's schema, by its URL


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
        _SCHEMAS[url] = schema
    migrate(url, tmp_path_factory.mktemp("instance"))
    yield request.param, url
    if schema is not None:
        del _SCHEMAS[url]
        schema.drop()


@pytest.fixture
def database_url(backend: tuple[str, str], tmp_path: Path) -> str:
    name, template_url = backend
    if name == "sqlite":
        return copy_of_sqlite(template_url, tmp_path)
    _SCHEMAS[template_url].empty()
    return template_url


@pytest.fixture(scope="module")
def module_app(backend: tuple[str, str],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a migrated database of the module's own, for tests that read one expensive
    world (the demo) built once per module instead of once per test. Tests that write use
    `app`."""
    name, template_url = backend
    folder = tmp_path_factory.mktemp("module")
    schema = None
    if name == "sqlite":
        url = copy_of_sqlite(template_url, folder)
    else:
        schema = PostgresSchema()
        url = schema.url
        migrate(url, folder / "migrating")
    app = build_app(url, folder / "instance")
    yield app
    dispose(app)
    if schema is not None:
        schema.drop()


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
def clock() -> Clock:
    """A clock the test moves, for an app made with `make_app(CLOCK=clock)`."""
    return Clock()


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


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served by Waitress on a free loopback port, as in production."""
    with served(app) as base:
        yield base


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


@pytest.fixture
def ticket_campaign(app: Flask) -> TicketCampaign:
    """A draft campaign of two subjects to issue tickets for, its organiser ("organiser"), a
    leader and an organiser of another customs ("chongqing")."""
    with app.app_context():
        return make_ticket_campaign()


@pytest.fixture
def administrators_enrolled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The administrators count as enrolled in a second factor (evalapp.auth.gate), for tests
    of what they do once logged in; tests/test_second_factor.py tests the enrolment."""
    from evalapp.auth import gate

    monkeypatch.setattr(gate, "must_enrol", lambda user: False)
