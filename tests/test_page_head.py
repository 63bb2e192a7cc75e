"""Every page asks dual-core browsers (360, QQ) and IE-mode Edge for their Chromium kernel
(html_no_renderer_meta): the pages need CSS grid, flex and <input type=date>, which the IE
kernel's compatibility view does not render."""

from __future__ import annotations

import re
from pathlib import Path

import evalapp

TEMPLATES = Path(evalapp.__file__).parent / "templates"
HINTS = ('<meta http-equiv="X-UA-Compatible" content="IE=edge">',
         '<meta name="renderer" content="webkit">',
         '<meta name="force-rendering" content="webkit">')
CASES = Path(__file__).parent / "cases"


def test_case_html_no_renderer_meta_on_staff_and_rater_pages(client):
    assert "renderer" in (CASES / "html_no_renderer_meta.txt").read_text()
    for path in ("/auth/login", "/ballot"):  # the staff's base page; the raters' own
        page = client.get(path).get_data(as_text=True)
        head = page.split("</head>")[0]
        assert all(hint in head for hint in HINTS), path
        # IE reads X-UA-Compatible only before any other element but the charset
        assert re.search(r"<head>\s*<meta charset=\"utf-8\">\s*<meta http-equiv", head), path


def test_every_page_template_has_the_hints_or_extends_one_that_does():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if "<head" in text:
            assert all(hint in text for hint in HINTS), template
