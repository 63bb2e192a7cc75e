"""Security headers on every page, cookie flags, proxies, and uploaded reports served safely."""

from __future__ import annotations

import io
import re

import pytest

from evalapp.extensions import db
from tests.support.factories import PASSWORD, make_user, make_world
from tests.support.organiser import make_setup
from tests.support.spreadsheets import docx_bytes
from tests.support.web import csrf_token, form_values, login

PAGES = ["/", "/auth/login", "/campaigns/", "/no/such/page", "/t/" + "0" * 26, "/ballot",
         "/static/css/app.css"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    response.close()


def test_no_page_has_inline_script(app, client):
    with app.app_context():
        make_setup()
    login(client, "organiser")
    for path in ("/", "/campaigns/", "/campaigns/1", "/campaigns/1/questionnaire"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " onclick=" not in page and "javascript:" not in page


def test_session_cookie_flags(client, make_app):
    client.get("/auth/login")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure
    secure_app = make_app(BASE_URL="https://evalapp.example")
    secure = secure_app.test_client()
    secure.get("/auth/login", base_url="https://evalapp.example")
    assert secure.get_cookie("session", domain="evalapp.example").secure


def test_behind_a_proxy_the_client_address_and_scheme_are_used(make_app):
    app = make_app(PROXIES=1)
    seen = {}

    @app.get("/_who")
    def who():
        from flask import request

        seen.update(addr=request.remote_addr, scheme=request.scheme)
        return ""

    app.test_client().get("/_who", headers={"X-Forwarded-For": "10.0.0.7",
                                            "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "10.0.0.7", "scheme": "https"}


@pytest.mark.parametrize(("filename", "content", "accepted"), [
    ("报告.pdf", b"%PDF-1.4\n%%EOF", True),
    ("报告.docx", docx_bytes(), True),
    ("report.pdf", b"<html><script>alert(1)</script></html>", False),  # named PDF, is not
    ("report.docx", b"PK\x03\x04not really a zip", False),
])
def test_uploaded_reports_are_checked_by_content(app, client, filename, content, accepted):
    with app.app_context():
        setup = make_setup()
    login(client, "organiser")
    path = f"/campaigns/{setup.campaign}/subjects/{setup.subject}"
    page = client.get(path).get_data(as_text=True)
    data = form_values(page)
    data.update({"csrf_token": csrf_token(client, path), "person_name": "述职人1",
                 "report_text": "", "problems": "",
                 "report_file": (io.BytesIO(content), filename)})
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert (response.status_code == 303) is accepted, response.get_data(as_text=True)[-500:]
    if not accepted:
        assert "该文件不是 PDF 或 Word 文档" in response.get_data(as_text=True)
        return
    report_url = f"/campaigns/{setup.campaign}/subjects/{setup.subject}/report"
    with app.app_context():
        from evalapp.ballotbox.operations import open_campaign
        from evalapp.campaigns.models import Campaign

        open_campaign(db.session.get(Campaign, setup.campaign))
        db.session.commit()
    rater = app.test_client()
    rater.get(f"/t/{setup.token}")
    ballot = rater.get("/ballot").get_data(as_text=True)
    # a PDF by its link; a Word report is shown on the ballot as a page (述职报告 is its text)
    assert report_url in ballot if filename.endswith(".pdf") else "<p>述职报告</p>" in ballot
    served = rater.get(report_url)
    assert served.data == content
    # a PDF is shown by the browser, a Word document downloads; both sandboxed
    assert served.headers["Content-Disposition"].startswith(
        "inline;" if filename.endswith(".pdf") else "attachment;")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        from evalapp.campaigns.models import Subject

        assert db.session.get(Subject, setup.subject).report_file.filename.endswith(
            filename.rsplit(".", 1)[1])


def test_guessing_ticket_codes_is_rate_limited_but_valid_tickets_always_enter(app, client):
    from tests.support.rater import make_tickets

    with app.app_context():
        tickets = make_tickets()
    statuses = [client.get(f"/t/{'0' * 25}{index}").status_code for index in range(32)]
    assert statuses == [404] * 30 + [429] * 2
    assert "正确的编码随时都能使用" in client.get("/t/" + "1" * 26).get_data(as_text=True)
    # the same address, over its limit for wrong codes: a valid ticket still enters
    assert client.get(f"/t/{tickets.single[0]}").status_code == 303
    token = csrf_token(client, "/")
    typed = client.post("/t", data={"code": tickets.single[1], "csrf_token": token})
    assert typed.status_code == 303
    room = app.test_client()  # another address, shared by a whole meeting room
    room.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    for token in tickets.single[2:42]:  # 40 valid scans from it: none counted, none refused
        assert room.get(f"/t/{token}").status_code == 303
    assert room.get("/t/" + "1" * 26).status_code == 404  # its own wrong codes still count afresh


@pytest.mark.parametrize("path", ["/t", "/ballot", "/language", "/auth/login"])
def test_rater_and_public_posts_need_a_csrf_token(app, client, path):
    from tests.support.rater import make_tickets

    with app.app_context():
        tickets = make_tickets()
    client.get(f"/t/{tickets.single[0]}")
    response = client.post(path, data={"code": tickets.single[1], "locale": "en"})
    assert response.status_code == 400
    assert "请重新加载页面" in response.get_data(as_text=True)


def test_forms_posted_over_https_are_accepted_without_a_referer(make_app):
    """Every page forbids the Referer (a ticket code must not leak into logs), so Flask-WTF's
    HTTPS referrer check refused every form: a log-in over HTTPS answered "form expired"."""
    app = make_app(BASE_URL="https://evalapp.example")
    with app.app_context():
        make_user("organiser", make_world().customs)
        db.session.commit()
    client = app.test_client()
    base = "https://evalapp.example"
    form = client.get("/auth/login", base_url=base)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.get_data(as_text=True))
    answer = client.post("/auth/login", base_url=base, data={
        "username": "organiser", "password": PASSWORD, "csrf_token": token.group(1)})
    assert answer.status_code == 302
    forged = app.test_client().post("/auth/login", base_url=base, data={
        "username": "organiser", "password": PASSWORD, "csrf_token": token.group(1)})
    assert forged.status_code == 400  # the token still belongs to its own session
