"""The README's commands are the ones CI runs and the examples it shows are true."""

from __future__ import annotations

import doctest
import re

from evalapp.paths import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def code_blocks() -> list[str]:
    return re.findall(r"```(?:sh|python)?\n(.*?)```", README, re.DOTALL)


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(block.strip() for block in code_blocks() if "pytest" in block)
    ci_lines = (PROJECT_DIR / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_has_exactly_two_set_up_commands_that_install():
    installs = [block for block in code_blocks() if "pip install" in block]
    assert len(installs) == 2
    assert "evalapp demo" in installs[0] and "evalapp serve" in installs[0]


def test_readme_analysis_examples_are_true():
    examples = "\n".join(block for block in code_blocks() if block.startswith(">>>"))
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 3
