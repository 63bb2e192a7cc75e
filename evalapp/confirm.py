"""Asking before an action that cannot be undone (voiding tickets, deleting a problem with its
measures): the action's link opens a page of its own that says what will happen, and only that
page's button, which sends `confirm=yes`, does it. Plain HTML, so it works without JavaScript,
and a stray or repeated POST without the field only shows the question again."""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template, request


def confirmed() -> bool:
    """Whether this request is the answer "yes" from the confirmation page."""
    return request.method == "POST" and request.form.get("confirm") == "yes"


def confirm_page(*, heading: str, lines: Sequence[str], button: str, back: str,
                 back_label: str) -> str:
    """The question: `heading`, then `lines` saying what will happen; `button` does it and
    `back` (a URL, named `back_label`) leaves everything as it is."""
    return render_template("confirm.html", heading=heading, lines=lines, button=button,
                           back=back, back_label=back_label)
