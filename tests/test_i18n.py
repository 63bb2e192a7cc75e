"""Chinese first, English second: defaults, switching, locale formats, complete catalogs."""

from __future__ import annotations

import io

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import abort
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import default_exceptions
from werkzeug.test import encode_multipart

from evalapp.extensions import db
from evalapp.paths import PROJECT_DIR, TRANSLATIONS_DIR
from tests.support.factories import make_user, make_world
from tests.support.web import csrf_token, login

CATALOG = TRANSLATIONS_DIR / "zh_Hans_CN" / "LC_MESSAGES"


def test_chinese_is_the_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "民主测评" in page


def test_an_english_browser_gets_english(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Democratic evaluation" in page


def test_a_chinese_browser_gets_chinese(client):
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "民主测评" in page.get_data(as_text=True)


def test_switching_language_is_remembered(client):
    token = csrf_token(client, "/")
    response = client.post("/language", data={"locale": "en", "next": "/auth/login",
                                               "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"
    assert "Staff log-in" in client.get("/auth/login").get_data(as_text=True)
    client.post("/language", data={"locale": "zh_Hans_CN", "csrf_token": token})
    assert "工作人员登录" in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize("data", [{"locale": "klingon"}, {"locale": "en", "next": "https://x.y"}])
def test_bad_language_requests_change_nothing_dangerous(client, data):
    token = csrf_token(client, "/")
    response = client.post("/language", data={**data, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] in ("/", "/auth/login")


def test_error_pages_speak_the_readers_language(client):
    assert "此页面不存在" in client.get("/no/such/page").get_data(as_text=True)
    english = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert english.status_code == 404
    assert "This page does not exist" in english.get_data(as_text=True)


# Every error status a request can meet here, with what the Chinese page says: raised by a
# view (abort), by Werkzeug or Flask (405, 413), by the rate limiter (429) or by a crash (500).
ERROR_PAGES_ZH = {
    400: "无法识别此请求", 401: "请先登录", 403: "您没有打开此页面的权限", 404: "此页面不存在",
    405: "此页面不支持该操作", 406: "无法完成此请求", 408: "请求超时", 409: "现在无法执行此操作",
    410: "此页面已不再提供", 411: "无法完成此请求", 412: "无法完成此请求", 413: "上传的文件太大",
    414: "网址过长", 415: "无法完成此请求", 416: "无法完成此请求", 417: "无法完成此请求",
    418: "无法完成此请求", 422: "提交的内容无法处理", 423: "无法完成此请求",
    428: "无法完成此请求", 429: "尝试次数过多", 431: "无法完成此请求", 451: "无法完成此请求",
    500: "系统出现问题", 501: "系统出现问题", 502: "服务暂时不可用",
    503: "服务暂时不可用", 504: "服务暂时不可用", 505: "系统出现问题",
}


def test_every_error_page_speaks_chinese(app):
    """Each status as a view raises it (abort), read in zh-CN: the Chinese sentence, the
    status, and none of Werkzeug's English descriptions."""
    app.add_url_rule("/status/<int:status>", "status", lambda status: abort(status))
    client = app.test_client()
    for status, chinese in ERROR_PAGES_ZH.items():
        response = client.get(f"/status/{status}", headers={"Accept-Language": "zh-CN"})
        page = response.get_data(as_text=True)
        assert response.status_code == status
        assert chinese in page and f"错误代码 {status}" in page, status
        english = default_exceptions[status].description.split(".")[0]
        assert english not in page, status
    assert client.post("/").headers["Allow"]  # a 405 still says what the page allows


def test_an_upload_past_the_request_limit_is_told_the_limit(app, client):
    """A roster of 17 MB is refused by the request limit before any upload check reads it:
    the page says how much can be sent."""
    with app.app_context():
        make_user("organiser", make_world().customs)
        db.session.commit()
    login(client, "organiser")
    # The body built in memory (werkzeug's test client spools a large one to a file it
    # never closes: a ResourceWarning in whichever test runs next).
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(b"0" * 17 * 1024 * 1024), "名单.csv")})
    response = client.post("/campaigns/1/roster/", data=body,
                           headers={"Accept-Language": "zh-CN"},
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "上传的文件太大：一次最多可上传 16 MB。" in response.get_data(as_text=True)


def source_messages() -> set[str]:
    method_map = [("evalapp/**.py", "python"), ("forms/**.py", "python"),
                  ("evalapp/templates/**.html", "jinja2")]
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_DIR), method_map=method_map,
        keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
                  "ngettext": (1, 2)},
    ):
        messages.add(message[0] if isinstance(message, tuple) else message)
    return messages


def test_every_message_has_a_chinese_translation():
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]: message
        for message in catalog if message.id
    }
    missing = [m for m in source_messages() if m not in translated
               or not translated[m].string or translated[m].fuzzy]
    assert missing == []


def test_compiled_catalog_matches_its_source():
    with open(CATALOG / "messages.po", "rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id and not m.fuzzy}
    with open(CATALOG / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(io.BytesIO(handle.read())) if m.id}
    assert compiled == source, "run: pybabel compile -d evalapp/translations"
