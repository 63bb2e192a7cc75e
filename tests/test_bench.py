"""The burst and kill-during-submit scripts, at a small N: a real server on each database."""

from __future__ import annotations

import random

import pytest

from bench import burst, harness, kill, phones, rollup, roster_import, rounds
from tests.support.apps import BACKENDS, POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def kind(request, monkeypatch):
    if request.param == "postgresql":
        monkeypatch.setattr(harness, "PG_ADMIN", POSTGRES_URL)
    return request.param


@pytest.mark.parametrize("over", [0, 2], ids=["all-at-once", "arriving-over-2s"])
def test_burst_stores_every_ballot_once(kind, over):
    outcome = burst.run(kind, raters=40, concurrency=20, workers=2, over=over)
    assert not outcome.errors, burst.report(kind, outcome)
    assert outcome.consistent and outcome.succeeded == 40
    assert outcome.over == over and "raters/s" in burst.report(kind, outcome)


def test_phones_holding_their_connections_store_every_ballot_once(kind):
    outcome = phones.run(kind, raters=40, over=2, think=0.2, workers=2)
    assert not outcome.errors, burst.report(kind, outcome)
    assert outcome.consistent and outcome.succeeded == 40


def test_killing_the_server_mid_burst_loses_nothing(kind):
    ok, summary = kill.round_(kind, raters=40, kill_after=0.3, workers=2)
    assert ok, summary


def test_killing_the_close_leaves_the_box_sealed_or_opened_never_both(kind):
    ok, summary = kill.close_round(kind, ballots=300, rng=random.Random(5))
    assert ok, summary


@pytest.mark.parametrize("file_kind", ["csv", "xlsx"])
def test_the_roster_import_script_takes_a_roster_through_the_pages(kind, file_kind):
    figures, floor, stored = roster_import.run(kind, 200, file_kind)
    assert stored == 200 and floor > 0
    assert {"upload", "check", "confirm (import)", "draw page (drawn)"} <= set(figures)


def test_the_rollup_script_closes_a_round_and_reads_its_rollup(kind):
    figures, floor, ballots, page = rollup.run(kind, 30)
    assert floor > 0 and ballots >= 30 * 4 and "海关总署" in page
    assert {"summaries (made at closing)", "roll-up page", "Excel summary"} <= set(figures)


def test_the_rounds_script_makes_a_campaign_a_branch_and_carries_a_change_to_all(kind):
    figures, floor, (made, reached) = rounds.run(kind, 40)
    assert made == reached == 40 and floor > 0
    assert {"make the campaigns", "carry a change", "round page (after)"} <= set(figures)
