"""The README's commands are the ones CI runs and the examples it shows are true."""

from __future__ import annotations

import doctest
import re

from evalapp.paths import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
DOCS = sorted((PROJECT_DIR / "docs").glob("*.md"))


def code_blocks(text: str = README) -> list[str]:
    return re.findall(r"```(?:sh|python)?\n(.*?)```", text, re.DOTALL)


def readme_test_command() -> str:
    return next(block.strip() for block in code_blocks() if "scripts/test.py" in block)


def test_ci_runs_exactly_the_readme_test_command():
    test_command = readme_test_command()
    ci_lines = (PROJECT_DIR / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_has_exactly_two_set_up_commands_that_install():
    installs = [block for block in code_blocks() if "pip install" in block]
    assert len(installs) == 2
    assert "evalapp demo" in installs[0] and "evalapp serve" in installs[0]


def test_readme_stays_short():
    assert len(README.splitlines()) < 150


def test_the_documentation_examples_are_true():
    """The Python examples of README.md and docs/*.md run as doctests."""
    texts = [README, *(path.read_text(encoding="utf-8") for path in DOCS)]
    examples = "\n".join(block for text in texts for block in code_blocks(text)
                         if block.startswith(">>>"))
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples, {}, "docs", "docs/*.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 3


def test_readme_refers_to_nothing_outside_the_repository():
    assert "../" not in README and "/work/" not in README
    for target in re.findall(r"\]\(([^)#:]+)\)", README):  # relative links
        assert (PROJECT_DIR / target).exists(), target
    for path in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), (path.name, target)
    assert (PROJECT_DIR / "docs" / "DOMAIN.md").exists() and "docs/DOMAIN.md" in README


def test_the_test_command_makes_a_fresh_postgres_database_when_a_server_answers(monkeypatch):
    """scripts/test.py (the README's test command, see above): without a server it says so
    and tests SQLite only; with one (this run's, when it has one) it makes a database for
    the run and drops it afterwards."""
    import runpy

    import psycopg
    from sqlalchemy.engine import make_url

    from tests.support.apps import POSTGRES_URL

    assert readme_test_command().endswith("&& .venv/bin/python scripts/test.py")
    script = runpy.run_path(str(PROJECT_DIR / "scripts" / "test.py"))
    monkeypatch.delenv("EVALAPP_TEST_POSTGRES_URL", raising=False)
    monkeypatch.setenv("EVALAPP_TEST_POSTGRES_SERVER", "postgresql://nobody@127.0.0.1:1/none")
    with script["postgres_for_run"]() as url:
        assert url is None
    if not POSTGRES_URL:
        return
    server = make_url(POSTGRES_URL).set(drivername="postgresql", database="postgres")
    monkeypatch.setenv("EVALAPP_TEST_POSTGRES_SERVER", server.render_as_string(False))
    with script["postgres_for_run"]() as url:
        database = make_url(url)
        with psycopg.connect(database.set(drivername="postgresql").render_as_string(False)) as c:
            assert c.execute("SELECT current_database()").fetchone() == (database.database,)
    with psycopg.connect(server.render_as_string(False)) as connection:
        assert connection.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                                  (database.database,)).fetchone() == (0,)
