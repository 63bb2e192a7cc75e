"""What a first real round tripped over (issue 16): the organiser's and the leader's day."""

from __future__ import annotations

import io
import re

from evalapp.campaigns.models import Subject
from evalapp.extensions import db
from tests.conftest import csrf_token, login
from tests.organiser import make_setup


def post_subject_form(client, path: str, **changes):
    """Submit the subject form as the page shows it, with `changes` typed over it."""
    page = client.get(path).get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    data.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?([^<]*)</textarea>', page))
    data["unit"] = re.search(r'<option selected value="(\d+)"', page).group(1)
    data.update(csrf_token=csrf_token(client, path), **changes)
    return client.post(path, data=data, content_type="multipart/form-data")


def test_saving_a_subject_again_keeps_its_uploaded_report(app, client):
    with app.app_context():
        setup = make_setup()
    login(client, "organiser")
    path = f"/campaigns/{setup.campaign}/subjects/{setup.subject}"
    pdf = b"%PDF-1.4\n%%EOF"
    uploaded = post_subject_form(client, path, report_file=(io.BytesIO(pdf), "述职报告.pdf"))
    assert uploaded.status_code == 303
    saved = post_subject_form(client, path, post="党委书记（修改后）")
    assert saved.status_code == 303, saved.get_data(as_text=True)[-300:]
    with app.app_context():
        subject = db.session.get(Subject, setup.subject)
        assert subject.post == "党委书记（修改后）"
        assert (subject.report_file.filename, subject.report_file.content) == (
            "述职报告.pdf", pdf)
