"""The burst and kill-during-submit scripts, at a small N: a real server on each database."""

from __future__ import annotations

import pytest

from bench import burst, harness, kill
from tests.conftest import BACKENDS, POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def kind(request, monkeypatch):
    if request.param == "postgresql":
        monkeypatch.setattr(harness, "PG_ADMIN", POSTGRES_URL)
    return request.param


def test_burst_stores_every_ballot_once(kind):
    outcome = burst.run(kind, raters=40, concurrency=20, workers=2)
    assert not outcome.errors, burst.report(kind, outcome)
    assert outcome.consistent and outcome.succeeded == 40


def test_killing_the_server_mid_burst_loses_nothing(kind):
    ok, summary = kill.round_(kind, raters=40, kill_after=0.3, workers=2)
    assert ok, summary
