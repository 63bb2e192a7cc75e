"""Every shell command that README.md and docs/*.md show is run here, or is listed in NOT_RUN
with the reason a test cannot run it. A command that is neither fails the test, so a new one is
never left unchecked, and a RUN pattern or a reason that no longer matches any fails it too.

The commands are those of the fenced shell blocks (```sh, bash, console, shell) and the
`evalapp …` commands the README writes inline. They run in an instance folder of their own
(EVALAPP_INSTANCE_PATH, SQLite), never the checkout's `instance/`: one demo, built by the
documented `evalapp demo`, serves every command that needs one. Commands run as written,
with only what a test must change: a free port for 5000, the demo's campaign and database
for the placeholders, and the smallest sizes for the benchmarks (the figures in
docs/benchmarks.md come from the full sizes, run by hand).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import harness
from evalapp import create_app
from evalapp.auth import directory, oidc
from evalapp.config import ENVIRONMENT
from evalapp.extensions import db
from evalapp.paths import PROJECT_DIR
from evalapp.roster.models import SampleDraw
from tests.support.apps import dispose
from tests.support.demo import PASSWORD
from tests.support.web import login

SHELLS = {"sh", "bash", "console", "shell", "shell-session", "zsh"}
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE_EVALAPP = re.compile(r"`((?:\.venv/bin/)?evalapp [^`]+)`")
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Command:
    """One command as a reader would type it: `words` as the shell splits them (comments
    dropped, continued lines joined, `a && b` split), and where it is written."""

    source: str
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


def documented_commands() -> list[Command]:
    """Every shell command in README.md and docs/*.md, in the order written."""
    commands = []
    for path in [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(PROJECT_DIR).as_posix()
        blocks = [(match.start(), match.group(2)) for match in FENCE.finditer(text)
                  if match.group(1) in SHELLS]
        if path.name == "README.md":
            blocks += [(match.start(), " ".join(match.group(1).split()))
                       for match in INLINE_EVALAPP.finditer(text)]
        for start, block in sorted(blocks):
            line = text.count("\n", 0, start) + 1
            for line_words in _lines(block):
                words = line_words
                while "&&" in words:
                    cut = words.index("&&")
                    commands.append(Command(f"{name}:{line}", tuple(words[:cut])))
                    words = words[cut + 1:]
                if words:
                    commands.append(Command(f"{name}:{line}", tuple(words)))
    return commands


def _lines(block: str) -> Iterator[list[str]]:
    """The block's commands, each as shell words: a line ending in a backslash goes on."""
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            yield words


# The commands a test here runs, by what they are; the test that runs each kind is named.
RUN = {
    "demo": r"(\.venv/bin/)?evalapp demo",  # the demo_instance fixture
    # test_console_commands
    "console": r"evalapp (create-user|create-token|verify-draw|audit verify)( .*)?",
    "serve": r"(\.venv/bin/)?evalapp serve( .*)?",  # test_the_servers_answer
    "gunicorn": r"EVALAPP_DATABASE_URL=\S+ gunicorn .*",  # test_the_servers_answer
    "export": r"export EVALAPP_\w+=.*",  # test_the_settings_exported_are_taken
    "pybabel": r"\.venv/bin/pybabel .*",  # test_the_translation_commands
    "bench": r"\.venv/bin/python -m bench\.\w+ .*",  # test_the_benchmarks_at_their_smallest
}

# The commands no test here runs, each with the reason.
NOT_RUN = {
    r"python3 -m venv \.venv":
        "makes the virtualenv these tests already run in",
    r"\.venv/bin/pip install -e .*":
        "downloads the dependencies (network, minutes); these tests run in that install",
    r"\.venv/bin/python scripts/test\.py.*":
        "runs the test suite, this test among them (test_readme checks .ci/run runs it)",
    r"EVALAPP_MANUAL_IMAGES=write \.venv/bin/python -m pytest tests/test_manual\w+\.py .*":
        "the manual's browser walk, which the suite runs (writing its pictures elsewhere)",
    r"apt-get install .*":
        "installs Debian's packages as root",
    r"LDAPTLS_CACERT=\S+ ldapsearch .*":
        "asks the organisation's own directory; tests/test_directory.py logs in through a "
        "real slapd with the same settings",
    r"EVALAPP_DATABASE_URL=\S+ EVALAPP_RATELIMIT_STORAGE_URI=redis\S+ .*gunicorn .*":
        "one node of two behind HAProxy with Redis, on other machines; tests/test_cluster.py "
        "runs two such nodes behind a real HAProxy and Redis",
    r"(EVALAPP_JOB_BROKER_URL=\S+ )?evalapp worker.*":
        "runs until stopped; tests/test_jobs.py runs it on a real Redis (and kills one in the "
        "middle of an opening) and without a queue (where it says what to set)",
}


def kind_of(command: Command) -> str | None:
    """The RUN kind of `command`, or None when it is in NOT_RUN. Raises LookupError for a
    command that is neither, and for one that is both."""
    kinds = [kind for kind, pattern in RUN.items() if re.fullmatch(pattern, command.text)]
    reasons = [pattern for pattern in NOT_RUN if re.fullmatch(pattern, command.text)]
    if len(kinds) + len(reasons) != 1:
        raise LookupError(f"{command.source}: {command.text!r} is run as {kinds} and not run "
                          f"for {reasons}: run it in tests/test_doc_commands.py, or say in "
                          "NOT_RUN why a test cannot")
    return kinds[0] if kinds else None


COMMANDS = documented_commands()


def commands_of(kind: str) -> list[Command]:
    found = [command for command in COMMANDS if kind_of(command) == kind]
    assert found, f"no documented command is of the kind {kind!r} any more: drop it from RUN"
    return found


def test_every_documented_command_is_run_or_says_why_not():
    assert len(COMMANDS) >= 30
    for command in COMMANDS:
        kind_of(command)
    for pattern in NOT_RUN:
        assert any(re.fullmatch(pattern, command.text) for command in COMMANDS), pattern
    for kind in RUN:
        commands_of(kind)


def test_a_new_command_block_fails_until_it_is_run_or_classified():
    unknown = Command("docs/new.md:1", ("evalapp", "frobnicate", "--all"))
    with pytest.raises(LookupError, match="frobnicate"):
        kind_of(unknown)


# -- running them -------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    """The instance folder the documented `evalapp demo` filled, and what it printed."""

    instance: Path
    output: str

    @property
    def url(self) -> str:
        return f"sqlite:///{self.instance / 'evalapp.sqlite3'}"

    @property
    def password(self) -> str:
        return PASSWORD.search(self.output).group(1)


def console(instance: Path, words: tuple[str, ...], given: str | None = None) -> str:
    """`evalapp WORDS` on the instance folder, in this process (the console's own app
    factory and commands, without a second interpreter's start-up); its output."""
    app = create_app({"INSTANCE_PATH": str(instance), "SCHEMA_CHECK": False})
    try:
        result = app.test_cli_runner().invoke(args=list(words[1:]), input=given)
    finally:
        dispose(app)
    assert result.exit_code == 0, (words, result.output, result.exception)
    return result.output


@pytest.fixture(scope="module")
def demo_instance(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    (command,) = commands_of("demo")
    instance = tmp_path_factory.mktemp("instance")
    return Demo(instance, console(instance, command.words))


def test_the_demo_command_prints_the_log_ins(demo_instance):
    assert "demo built" in demo_instance.output and demo_instance.password
    assert (demo_instance.instance / "demo-tickets.pdf").exists()
    assert (demo_instance.instance / "evalapp.sqlite3").exists()


def _drawn(demo: Demo) -> tuple[int, int]:
    """(campaign, draw sequence) of the demo's first draw."""
    app = create_app({"INSTANCE_PATH": str(demo.instance)})
    with app.app_context():
        draw = db.session.scalars(sa.select(SampleDraw).order_by(SampleDraw.id)).first()
        found = (draw.campaign_id, draw.sequence)
    dispose(app)
    return found


def _record_file(demo: Demo, campaign: int, sequence: int, folder: Path) -> Path:
    """The draw's record as its page exports it (`draw-C-N-record.json`)."""
    app = create_app({"INSTANCE_PATH": str(demo.instance)})
    client = app.test_client()
    login(client, "organiser", demo.password)
    draw_id = _draw_id(app, campaign, sequence)
    response = client.get(f"/campaigns/{campaign}/draws/{draw_id}/record.json")
    dispose(app)
    assert response.status_code == 200, response.status
    path = folder / f"draw-{campaign}-{sequence}-record.json"
    path.write_bytes(response.data)
    return path


def _draw_id(app, campaign: int, sequence: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(SampleDraw.id).where(
            SampleDraw.campaign_id == campaign, SampleDraw.sequence == sequence))


def test_console_commands(demo_instance, tmp_path):
    """The `evalapp` commands of the docs, on the demo; the README's first system
    administrator on a fresh instance, as on day one (its password typed twice)."""
    campaign, sequence = _drawn(demo_instance)
    record = _record_file(demo_instance, campaign, sequence, tmp_path)
    json.loads(record.read_text(encoding="utf-8"))
    fresh = tmp_path / "fresh"
    console(fresh, ("evalapp", "db", "upgrade"))
    places = {"CAMPAIGN": str(campaign), "[--draw": "--draw", "N]": str(sequence),
              "draw-7-1-record.json": str(record)}
    # each once: the README's first administrator is the manual's too
    for command in {command.words: command for command in commands_of("console")}.values():
        words = tuple(places.get(word, word) for word in command.words)
        if "sysadmin" in words:  # the first account of an organisation: on a fresh one
            output = console(fresh, words, given="Ningbo-audit-2026!\n" * 2)
        else:
            output = console(demo_instance.instance, words)
        assert output.strip(), command  # and exit status 0: the draw checks out


def test_the_servers_answer(demo_instance, tmp_path):
    """`evalapp serve` (README, docs/operations.md) and gunicorn serve the demo's log-in
    page on a free port, and stop."""
    started = [(command, *_start(command, demo_instance, tmp_path))
               for command in [*commands_of("serve"), *commands_of("gunicorn")]]
    try:
        for command, process, port in started:
            page = _answer(f"http://127.0.0.1:{port}/auth/login", process)
            assert "password" in page.lower() or "密码" in page, command
    finally:
        for _, process, _ in started:
            process.terminate()
            process.wait(timeout=30)
    assert all(process.returncode is not None for _, process, _ in started)


def _start(command: Command, demo: Demo, folder: Path) -> tuple[subprocess.Popen, int]:
    port = harness.free_port()
    words = [str(VENV_BIN / "evalapp") if word in ("evalapp", ".venv/bin/evalapp") else word
             for word in command.words]
    words = [word.replace("5000", str(port)) for word in words]
    environment = {**os.environ, "EVALAPP_INSTANCE_PATH": str(demo.instance),
                   "EVALAPP_PORT": str(port), "WEB_CONCURRENCY": "1"}
    while "=" in words[0]:  # VARIABLE=value before the command
        name, value = words.pop(0).split("=", 1)
        environment[name] = demo.url if value.endswith("...") else value
    if words[0] == "gunicorn":
        words[0] = str(VENV_BIN / "gunicorn")
    with (folder / f"{port}.log").open("wb") as log:
        process = subprocess.Popen(words, env=environment, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=folder)
    return process, port


def _answer(address: str, process: subprocess.Popen, wait: float = 60) -> str:
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(address, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_settings_exported_are_taken(tmp_path, monkeypatch):
    """docs/directory.md's settings, each block with the group roles before it, reach the
    app, and the directory and OIDC log-ins accept them."""
    blocks: dict[str, dict[str, str]] = {}
    for command in commands_of("export"):
        name, value = command.words[1].split("=", 1)
        blocks.setdefault(command.source, {})[name] = value
    checked = 0
    for source, variables in blocks.items():
        with monkeypatch.context() as patch:
            for name in ENVIRONMENT:
                patch.delenv(name, raising=False)
            for name, value in variables.items():
                patch.setenv(name, value)
            if "EVALAPP_LDAP_URL" in variables:  # the LDAP blocks, with the group roles
                for name, value in blocks[next(iter(blocks))].items():
                    patch.setenv(name, value)
            app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"),
                              "SCHEMA_CHECK": False})
            for name, value in variables.items():
                assert app.config[ENVIRONMENT[name]] == value, (source, name)
            ldap = directory.settings_from(app.config)
            provider = oidc.settings_from(app.config)
            assert ldap or provider or "EVALAPP_LDAP_GROUP_ROLES" in variables, source
            if ldap:
                assert len(ldap.group_roles) == 2 and "{username}" in ldap.user_filter
            checked += 1
            dispose(app)
    assert checked >= 4


def test_the_translation_commands(tmp_path):
    """docs/development.md's pybabel commands, in a copy of the sources: the catalogue is
    extracted, the Chinese catalogue updated from it and compiled."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("evalapp", "forms"):
        shutil.copytree(PROJECT_DIR / name, tmp_path / name, ignore=ignore)
    shutil.copy(PROJECT_DIR / "babel.cfg", tmp_path)
    compiled = tmp_path / "evalapp/translations/zh_Hans_CN/LC_MESSAGES/messages.mo"
    compiled.unlink()
    for command in commands_of("pybabel"):
        words = [str(VENV_BIN / "pybabel"), *command.words[1:]]
        result = subprocess.run(words, cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stderr)
    template = (tmp_path / "evalapp/translations/messages.pot").read_text(encoding="utf-8")
    assert template.count("msgid ") > 500 and 'msgid "Log in"' in template
    assert compiled.stat().st_size > 10_000


# The benchmarks run here at their smallest sizes: those that build a PDF or read a box in
# this process. The others start servers (a minute each on a busy two-core machine); what
# their main() runs is run at a small N by the tests named, and here their documented
# arguments are read by the script's own parser.
RUN_SMALLEST = {"bench.sheets": ["--tickets", "2", "--rounds", "1"],
                "bench.results": ["--ballots", "20"], "bench.rounds": ["--branches", "20"],
                "bench.rollup": ["--branches", "20"]}
RUN_ELSEWHERE = {
    "bench.burst": "tests/test_bench.py (burst.run, at 40 raters, all at once and over 2 s)",
    "bench.phones": "tests/test_bench.py (phones.run, 40 phones)",
    "bench.kill": "tests/test_bench.py (kill.round_ and kill.close_round)",
    "bench.held": "tests/test_held_connections.py (held.hold)",
    "bench.pages": "tests/test_results.py and the browser tests (the pages and PDF it times)",
    "bench.ratio": "tests/test_bench.py (the harness, burst and phones it is made of)",
    "bench.roster_import": "tests/test_bench.py (roster_import.run, 200 people, CSV and Excel)",
    "bench.upload": "tests/test_office_formats.py (the bounds and the child process it loads)",
    "bench.cluster": "tests/test_cluster.py (cluster.cluster, race and storm: 200 phones on one "
                     "ticket, and 120 phones on three nodes with two killed)",
}
BENCHMARKS = [command for command in COMMANDS if re.fullmatch(RUN["bench"], command.text)]


class _Parsed(Exception):
    """Raised in place of running a script, once its parser has read the arguments."""


def parsed(script, arguments: list[str], monkeypatch: pytest.MonkeyPatch) -> argparse.Namespace:
    """`arguments` as `script.main` reads them, without running it."""
    reading = argparse.ArgumentParser.parse_args

    def read_only(parser, args=None, namespace=None):
        raise _Parsed(reading(parser, args, namespace))

    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", read_only)
        with pytest.raises(_Parsed) as read:
            script.main(arguments)
    return read.value.args[0]


@pytest.mark.parametrize("command", [pytest.param(command, id=f"{command.source}-{at}")
                                     for at, command in enumerate(BENCHMARKS)])
def test_the_benchmark_commands(command, monkeypatch, capsys):
    """Each documented benchmark's arguments are its script's; the scripts in RUN_SMALLEST
    run with them, at their smallest sizes, on SQLite."""
    name, arguments = command.words[2], list(command.words[3:])
    script = importlib.import_module(name)
    options = vars(parsed(script, arguments, monkeypatch))
    for at, word in enumerate(arguments[:-1]):
        if word.startswith("--") and not arguments[at + 1].startswith("--"):
            assert str(options[word[2:].replace("-", "_")]) in (arguments[at + 1],
                                                                 f"{arguments[at + 1]}.0")
    assert (name in RUN_SMALLEST) != (name in RUN_ELSEWHERE), name
    if name in RUN_SMALLEST and "postgresql" not in arguments:
        sizes = RUN_SMALLEST[name]
        kept = [word for at, word in enumerate(arguments)
                if word not in sizes and (at == 0 or arguments[at - 1] not in sizes)]
        assert script.main([*kept, *sizes]) == 0, command
        assert capsys.readouterr().out.strip(), command
