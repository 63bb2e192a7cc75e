"""The tally sheet (计票单) the scrutineers sign adds up, on every row and the total, whatever
mix of phone ballots, paper ballots (agreed, decided, still being keyed), void paper ballots,
withdrawn and unreturned tickets a campaign ends with, open or closed; and it says how each
paper ballot was sealed, on pages that name the ticket and group being keyed.

The campaigns are built through the services the pages call (a phone's submit, the clerks'
keyings and decision, the void paper ballot, withdrawing a batch, closing), and the figures
are read off the HTML the scrutineers print, not off the service's numbers."""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import encode_levels
from evalapp.campaigns.models import Satisfaction
from evalapp.extensions import db
from evalapp.paper import operations as paper
from evalapp.paper.keying import Field
from evalapp.rating.operations import SubmitOutcome, submit_ballots
from evalapp.tickets.operations import issue_tickets, void_unspent
from evalapp.tickets.tokens import grouped, hash_token, new_receipt_code
from evalapp.units.models import OrgUnit
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.paper import clerk, key, post_code, scan
from tests.support.rater import CSRF, campaign_of, make_tickets, vote
from tests.support.web import login

LEVELS = "0" * 28  # 24 common and 4 individual items, all 好
BLANK = encode_levels([None] * 28)  # a void ballot (more than a quarter blank)


@dataclass(frozen=True)
class Mix:
    """What one rater group's tickets came to."""

    phone: int
    paper: int  # two keyings agreed
    decided: int  # two keyings differed; a third person decided
    keying: int  # keyed once: being keyed while open, left out at close
    unreturned: int
    withdrawn: int
    void_used: int  # void paper ballots of tickets already used (≤ phone + paper + decided)
    void_withdrawn: int  # void paper ballots of withdrawn tickets (≤ withdrawn)

    @property
    def expected(self) -> list[int]:
        """The sheet's row, A to H, as it must read."""
        used = self.phone + self.paper + self.decided + self.keying + self.unreturned
        return [used + self.withdrawn, self.withdrawn, self.phone, self.paper + self.decided,
                self.keying, self.unreturned, self.void_used, self.void_withdrawn]


@st.composite
def mixes(draw: st.DrawFn) -> Mix:
    counts = {name: draw(st.integers(0, top), label=name) for name, top in (
        ("phone", 3), ("paper", 2), ("decided", 1), ("keying", 2), ("unreturned", 2),
        ("withdrawn", 2))}
    used = counts["phone"] + counts["paper"] + counts["decided"]
    return Mix(**counts, void_used=draw(st.integers(0, used), label="void_used"),
               void_withdrawn=draw(st.integers(0, counts["withdrawn"]),
                                   label="void_withdrawn"))


NOTHING = Mix(0, 0, 0, 0, 0, 0, 0, 0)
# The newcomer's campaign: 40 tickets, 27 used by phone, 12 on paper, 2 void paper ballots of
# phone tickets, 1 not returned (the old sheet showed 27 + 12 + 2 + 1 = 42).
NEWCOMER = Mix(phone=27, paper=12, decided=0, keying=0, unreturned=1, withdrawn=0,
               void_used=2, void_withdrawn=0)


@pytest.fixture
def world(app):
    with app.app_context():
        world = make_world()
        clerks = [make_user(f"clerk{n}", world.customs, Role.CLERK).id for n in (1, 2, 3)]
        db.session.commit()
        return world.customs.id, clerks


def _ballot(subject_ids, satisfaction=Satisfaction.SATISFIED,
            levels: str = LEVELS) -> list[SealedContent]:
    return [SealedContent(subject_id, levels, satisfaction, None, new_receipt_code())
            for subject_id in subject_ids]


def build(unit_id: int, clerks: list[int], title: str, mixes_: list[Mix], close: bool) -> int:
    """A campaign whose groups' tickets came to `mixes_`, through the real operations."""
    campaign = make_campaign(db.session.get(OrgUnit, unit_id), title, subjects=2)
    campaign.paper_recheck_percent = 0  # the re-check draw is random; tested apart
    subject_ids = [s.id for s in campaign.subjects]
    issued = []
    for group, mix in zip(groups_of(campaign), mixes_, strict=False):
        used = mix.phone + mix.paper + mix.decided + mix.keying + mix.unreturned
        tokens = issue_tickets(campaign, group, campaign.subjects, used)[1] if used else []
        withdrawn = (issue_tickets(campaign, group, campaign.subjects, mix.withdrawn)
                     if mix.withdrawn else None)
        issued.append((mix, tokens, withdrawn))
    open_campaign(campaign)
    db.session.commit()
    for mix, tokens, withdrawn in issued:
        codes = iter(tokens)
        phone = [hash_token(next(codes)) for _ in range(mix.phone)]
        for number, token_hash in enumerate(phone):  # every second one blank: void
            assert submit_ballots(token_hash, secrets.token_hex(16), _ballot(
                subject_ids, levels=BLANK if number % 2 else LEVELS)) is SubmitOutcome.STORED
            db.session.commit()
        agreed = [next(codes) for _ in range(mix.paper)]
        for code in agreed:
            assert paper.key_ballot(code, clerks[0], _ballot(subject_ids)) is paper.Keyed.FIRST
            assert paper.key_ballot(code, clerks[1], _ballot(subject_ids)) is paper.Keyed.SEALED
            db.session.commit()
        decided = [next(codes) for _ in range(mix.decided)]
        for code in decided:
            paper.key_ballot(code, clerks[0], _ballot(subject_ids))
            assert paper.key_ballot(code, clerks[1], _ballot(
                subject_ids, Satisfaction.DISSATISFIED)) is paper.Keyed.DIFFER
            fields = {Field(subject_id, None): Satisfaction.SATISFIED
                      for subject_id in subject_ids}
            assert paper.decide(code, clerks[2], fields) is paper.Keyed.DECIDED
            db.session.commit()
        for code in itertools.islice(codes, mix.keying):
            assert paper.key_ballot(code, clerks[0], _ballot(subject_ids)) is paper.Keyed.FIRST
            db.session.commit()
        used = phone + [hash_token(code) for code in agreed + decided]
        for token_hash in used[:mix.void_used]:
            assert paper.record_void(campaign, token_hash) is paper.Void.RECORDED
            db.session.commit()
        if withdrawn:
            batch, withdrawn_tokens = withdrawn
            assert void_unspent(batch) == mix.withdrawn
            for token in withdrawn_tokens[:mix.void_withdrawn]:
                assert paper.record_void(campaign, hash_token(token)) is paper.Void.RECORDED
            db.session.commit()
    if close:
        close_campaign(campaign)
    return campaign.id


NUMBER = re.compile(r'<td class="num">(\d+)</td>')
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)


def sheet_rows(page: str) -> tuple[list[list[int]], list[int]]:
    """The figures of the tally table's group rows, and of its total row."""
    table = page[page.index('<table class="table tally">'):]
    table = table[:table.index("</table>")]
    body = table[table.index("<tbody>"):table.index("</tbody>")]
    foot = table[table.index("<tfoot>"):]
    rows = [[int(n) for n in NUMBER.findall(row)] for row in ROW.findall(body)]
    return rows, [int(n) for n in NUMBER.findall(foot)]


_titles = itertools.count()


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(groups=st.lists(mixes(), min_size=1, max_size=3), close=st.booleans())
@example(groups=[NEWCOMER], close=False)
@example(groups=[NEWCOMER], close=True)
@example(groups=[NOTHING], close=True)
@example(groups=[Mix(1, 1, 1, 1, 1, 2, 3, 2), Mix(0, 0, 0, 2, 0, 1, 0, 1)], close=True)
def test_every_row_and_the_total_of_the_tally_sheet_reconcile(app, world, groups, close):
    unit_id, clerks = world
    with app.app_context():
        campaign_id = build(unit_id, clerks, f"计票测评{next(_titles)}", groups, close)
    reader = app.test_client()
    login(reader, "clerk3")
    for address in (f"/campaigns/{campaign_id}/paper/tally", f"/campaigns/{campaign_id}/paper/"):
        response = reader.get(address)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        rows, total = sheet_rows(page)
        # every group has a row (the campaign has four), the unused ones all zero
        expected = [mix.expected for mix in groups] + [[0] * 8] * (len(rows) - len(groups))
        assert rows == expected
        for a, b, c, d, e, f, _g, _h in [*rows, total]:
            assert a == b + c + d + e + f
        assert total == [sum(column) for column in zip(*rows, strict=True)]
        a, b, c, d, e, f, g, h = total
        assert (f"A = B + C + D + E + F（合计：{a} = {b} + {c} + {d} + {e} + {f}）"
                in page)
        assert f"交回的纸质票：D + E + G + H = {d} + {e} + {g} + {h} = {d + e + g + h} 张" in page
        heading = "纸质票未计入（结束时未录完）" if close else "录入中的纸质票"
        assert heading in page
        if close:  # two subjects a ticket: two ballots each, the blank phone ones void
            void = sum(mix.phone // 2 for mix in groups) * 2
            held = (c + d) * 2
            assert (f"C + D 张测评票共含 {held} 份选票（每张测评票每个被测评对象一份）；开箱开出 "
                    f"{held} 份 = 有效票 {held - void} + 废票 {void}。") in page
        else:
            assert "开箱开出" not in page


@pytest.fixture
def tickets(app):
    with app.app_context():
        made = make_tickets(singles=4)
        unit = campaign_of(made.campaign_id).unit
        for name in ("clerk1", "clerk2", "clerk3", "clerk4"):
            make_user(name, unit, Role.CLERK)
        campaign_of(made.campaign_id).paper_recheck_percent = 0
        db.session.commit()
        return made


def _flash(client, campaign_id: int) -> str:
    page = client.get(f"/campaigns/{campaign_id}/paper/").get_data(as_text=True)
    return re.search(r'class="flash[^"]*"[^>]*>(.*?)<', page, re.S).group(1).strip()


def _satisfaction_differs(data: dict[str, str]) -> None:
    name = next(n for n in data if n.endswith("_satisfaction"))
    data[name] = Satisfaction.DISSATISFIED.value


def test_each_sealing_is_reported_as_it_happened(app, tickets):
    """Two keyings agreeing, a third person deciding, and a drawn third keying each say
    what happened: "两遍录入一致" only when the two keyings agreed."""
    agreed, decided, rechecked = tickets.single[:3]
    campaign_id = tickets.campaign_id
    key(clerk(app, "clerk1"), campaign_id, agreed)
    second = clerk(app, "clerk2")
    key(second, campaign_id, agreed)
    assert _flash(second, campaign_id).startswith("两遍录入一致：选票已投入投票箱")

    key(clerk(app, "clerk1"), campaign_id, decided)
    key(clerk(app, "clerk2"), campaign_id, decided, change=_satisfaction_differs)
    third = clerk(app, "clerk3")
    page = scan(third, campaign_id, decided).get_data(as_text=True)
    assert third.post(f"/campaigns/{campaign_id}/paper/decide", data={
        "csrf_token": CSRF.search(page).group(1), "code": decided,
        "field-0": "satisfied"}).status_code == 303
    said = _flash(third, campaign_id)
    assert said.startswith("第三人裁定：") and "两遍录入一致" not in said

    with app.app_context():
        campaign_of(campaign_id).paper_recheck_percent = 100
        db.session.commit()
    key(clerk(app, "clerk1"), campaign_id, rechecked)
    key(clerk(app, "clerk2"), campaign_id, rechecked)
    third = clerk(app, "clerk3")
    key(third, campaign_id, rechecked)
    said = _flash(third, campaign_id)
    assert said.startswith("第三遍录入（系统抽取的复核）与前两遍一致")
    assert "两遍录入一致：" not in said


def test_the_keying_and_decision_pages_name_the_ticket_and_its_group(app, tickets):
    token = tickets.single[0]
    campaign_id = tickets.campaign_id
    form = scan(clerk(app, "clerk1"), campaign_id, token).get_data(as_text=True)
    shown = re.search(r'<dl class="record in-hand">(.*?)</dl>', form, re.S).group(1)
    assert "票码" in shown and grouped(token) in shown and "机关党员" in shown
    key(clerk(app, "clerk1"), campaign_id, token)
    key(clerk(app, "clerk2"), campaign_id, token, change=_satisfaction_differs)
    decision = scan(clerk(app, "clerk3"), campaign_id, token).get_data(as_text=True)
    assert 'class="item dispute"' in decision
    shown = re.search(r'<dl class="record in-hand">(.*?)</dl>', decision, re.S).group(1)
    assert grouped(token) in shown and "机关党员" in shown
    pair = tickets.pair[0]  # another group
    other = scan(clerk(app, "clerk1"), campaign_id, pair).get_data(as_text=True)
    assert "基层群众" in re.search(r'<dl class="record in-hand">(.*?)</dl>', other,
                                  re.S).group(1)


def test_a_second_void_paper_of_one_ticket_is_told_apart_not_counted_twice(app, client,
                                                                          tickets):
    token = tickets.single[0]
    vote(app, token)
    client = clerk(app, "clerk1")
    campaign_id = tickets.campaign_id
    for _time in range(2):
        refused = scan(client, campaign_id, token)
        assert refused.status_code == 409
        assert post_code(client, campaign_id, "void", refused.get_data(as_text=True),
                         token).status_code == 303
        said = _flash(client, campaign_id)
    assert said.startswith("未作记录：这张测评票已有一张作废纸质票计入计票单")
    rows, total = sheet_rows(client.get(f"/campaigns/{campaign_id}/paper/tally").get_data(
        as_text=True))
    assert rows[0][6] == total[6] == 1
