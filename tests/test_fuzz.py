"""Property-based and hostile input: no 500, no junk stored, output always escaped."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from analysis import allocate_proportional
from evalapp.ballotbox.models import SealedBallot
from evalapp.extensions import db
from evalapp.roster.operations import ColumnMapping, check_roster
from tests.conftest import csrf_token, login
from tests.factories import groups_of, make_campaign, make_world
from tests.organiser import make_setup
from tests.rater import full_answers, make_tickets, questions

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
HOSTILE = st.one_of(
    st.text(max_size=50),
    st.sampled_from(["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
                     "excellent\x00", "' OR 1=1 --", "ｅｘｃｅｌｌｅｎｔ", "\ud7ff" * 3,
                     "x" * 5000, "-1", "1e309", "NaN", "{{7*7}}"]),
)


@pytest.fixture
def tickets(app):
    with app.app_context():
        return make_tickets(singles=400)  # hypothesis replays and shrinks: plenty to spend


@FUZZ
@given(data=st.data())
def test_the_ballot_form_takes_only_the_offered_levels(app, tickets, data):
    client = app.test_client()
    token = tickets.single.pop()
    assert client.get(f"/t/{token}").status_code == 303
    page = client.get("/ballot").get_data(as_text=True)
    offered = questions(page)
    answers = full_answers(page)
    chosen = {}
    for name, values in offered.items():
        value = data.draw(st.one_of(st.sampled_from([*values, ""]), HOSTILE), label=name)
        chosen[name] = value
    answers.update(chosen)
    answers["confirm_blanks"] = "1"
    before = count_ballots(app)
    response = client.post("/ballot", data=answers)
    valid = all(value in offered[name] or value == "" for name, value in chosen.items())
    if valid:
        assert response.status_code == 303
        assert count_ballots(app) == before + 1
    else:  # refused: a NUL character is malformed (400), an unknown level invalid (422)
        assert response.status_code in (400, 422)
        assert count_ballots(app) == before
        body = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body and "onerror=alert" not in body


def count_ballots(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(SealedBallot.id)))


@FUZZ
@given(rows=st.lists(st.lists(HOSTILE, min_size=0, max_size=6), min_size=1, max_size=30))
def test_roster_checking_accounts_for_every_row(app, rows):
    with app.app_context():
        world = make_world()
        groups = groups_of(make_campaign(world.customs))
        rows = [["姓名", "工号", "单位", "类别"], *rows]
        preview = check_roster(rows, ColumnMapping(0, 1, unit=2, group=3), groups)
        numbers = [p.row for p in preview.people] + [p.row for p in preview.problems]
        assert sorted(numbers) == list(range(2, len(rows) + 1))
        staff = [p.staff_number for p in preview.people]
        assert len(staff) == len(set(staff)) and all(staff)
        db.session.rollback()


@settings(max_examples=300, deadline=None)
@given(sizes=st.lists(st.integers(0, 500), min_size=1, max_size=8),
       share=st.fractions(0, 1), minimum=st.integers(0, 20))
def test_allocation_properties(sizes, share, minimum):
    population = {f"g{i}": size for i, size in enumerate(sizes)}
    total = int(share * sum(sizes))
    floors = sum(min(minimum, size) for size in sizes)
    if floors > total:
        with pytest.raises(ValueError):
            allocate_proportional(population, total=total, minimum=minimum)
        return
    allocation = allocate_proportional(population, total=total, minimum=minimum)
    assert sum(allocation.values()) == total
    for group, size in population.items():
        assert min(minimum, size) <= allocation[group] <= size
    if minimum == 0 and total:  # proportional: within one seat of the exact quota
        everyone = sum(sizes)
        for group, size in population.items():
            assert abs(allocation[group] - total * size / everyone) < 1


@pytest.fixture
def organiser_forms(app, client):
    """(path, field names) of every staff form a logged-in organiser (of `client`) posts."""
    with app.app_context():
        setup = make_setup()
    login(client, "organiser")
    c = f"/campaigns/{setup.campaign}"
    paths = ["/campaigns/new", f"{c}/scoring", f"{c}/subjects/new", f"{c}/subjects/{setup.subject}",
             f"{c}/draws/", f"{c}/tickets/", f"{c}/roster/",
             f"{c}/rectification/problems/{setup.problem}/measures/new",
             f"{c}/rectification/measures/{setup.measure}"]
    forms = []
    for path in paths:
        page = client.get(path).get_data(as_text=True)
        controls = re.findall(r'<(?:input|select|textarea)[^>]*name="([a-z_0-9-]+)"', page)
        names = sorted(set(controls) - {"csrf_token", "locale", "next"})
        forms.append((path, names))
    forms.append((f"{c}/questionnaire/{setup.item}", ["text_zh", "text_en"]))
    forms.append((f"{c}/rectification/{setup.subject}/problems", ["source", "text"]))
    return forms


@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_hostile_posts_to_every_form_never_fail(app, client, organiser_forms, data):
    for path, names in organiser_forms:
        payload = MultiDict((name, data.draw(HOSTILE, label=f"{path} {name}"))
                            for name in names)
        if names:
            payload.add(names[0], "repeated")  # a field sent twice
        payload["csrf_token"] = csrf_token(client, "/")
        response = client.post(path, data=payload)
        assert response.status_code < 500, (path, response.status_code)
        body = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body and "onerror=alert(1)>" not in body
    for page in ("/campaigns/", "/campaigns/1", "/campaigns/1/rectification/1"):
        shown = client.get(page).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in shown
    with app.app_context():
        db.session.rollback()


def test_broken_encodings_are_refused_not_crashing(client, tickets):
    client.get(f"/t/{tickets.single[0]}")
    response = client.post("/ballot", data=b"s1_c1=%FF%FE&csrf_token=\xff\xfe",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 422)
    assert client.get("/t/%FF%FE").status_code == 404
    assert client.get("/t/%FF%FE%00").status_code == 400
