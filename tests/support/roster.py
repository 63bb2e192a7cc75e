"""Rosters as organisers upload them: sample rows, files, and the mapping step."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from evalapp.extensions import db
from evalapp.roster.models import RosterEntry
from tests.support.web import csrf_token

GOOD = [
    ["姓名", "工号", "单位", "测评人类别"],
    ["王伟", "1001", "宁波海关", "机关党员"],
    ["李娜", "1002", "北仑海关", "基层党员"],
    ["张敏", "1003", "北仑海关", "基层群众"],
    ["刘洋", "1004", "宁波海关", "机关群众"],
    ["陈静", "1005", "镇海海关", "基层党员"],
]


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    return "\n".join(",".join(row) for row in rows).encode(encoding)


def upload(client, campaign_id, filename, content):
    """The roster upload form posted with the file. The body is built in memory: werkzeug's
    test client spools a body over 500 KB (a system-wide roster) to a temporary file it never
    closes, a ResourceWarning when it is collected, in whichever test runs then."""
    path = f"/campaigns/{campaign_id}/roster/"
    boundary, body = encode_multipart({"csrf_token": csrf_token(client, path),
                                       "file": FileStorage(io.BytesIO(content), filename)})
    return client.post(path, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def map_columns(client, response, confirm=False, **columns):
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "upload": re.search(r"upload=([0-9a-f]{32})", location).group(1)}
    for field in ("name", "staff_number", "unit", "group", "office", "membership"):
        selected = re.search(rf'<select[^>]*name="{field}".*?<option selected value="(-?\d+)"',
                             page, re.DOTALL)
        data[field] = columns.pop(field, selected.group(1) if selected else -1)
    data.update(columns)  # other fields, e.g. include_hidden
    if confirm:
        data["confirm"] = "1"
    return client.post("/campaigns/{}/roster/mapping".format(location.split("/")[2]), data=data)


def roster(app, campaign_id):
    with app.app_context():
        return sorted(db.session.execute(
            sa.select(RosterEntry.staff_number, RosterEntry.name).where(
                RosterEntry.campaign_id == campaign_id)).all())


def selected_columns(page: str) -> dict[str, str]:
    """The column the mapping page selects for each field ("-1": none)."""
    return dict(re.findall(r'<select[^>]*name="(\w+)".*?<option selected value="(-?\d+)"',
                           page, re.DOTALL))
