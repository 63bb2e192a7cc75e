"""App nodes behind HAProxy on one PostgreSQL, limits counted and jobs queued in Redis
(bench.cluster): a ticket submitted by 200 phones through the proxy, spread over both nodes,
stores exactly one ballot with no server error, and the wrong-code limit holds across the
nodes; with three nodes, one killed mid-burst and another mid-opening lose no ballot and
open the box once."""

from __future__ import annotations

import shutil

import aiohttp
import pytest

from bench import cluster, harness
from tests.support.apps import POSTGRES_URL

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="the layout runs on PostgreSQL"),
    pytest.mark.skipif(not (shutil.which("haproxy") and shutil.which("redis-server")),
                       reason="needs Debian's haproxy and redis-server"),
]
PHONES = 200
WRONG_CODES_A_MINUTE = 30  # evalapp.rating.views.WRONG_CODES


@pytest.fixture(scope="module")
def postgres_admin():
    admin, harness.PG_ADMIN = harness.PG_ADMIN, POSTGRES_URL
    yield
    harness.PG_ADMIN = admin


@pytest.fixture(scope="module")
def layout(postgres_admin):
    with cluster.cluster(tickets=1) as started:
        yield started


def test_the_wrong_code_limit_holds_across_both_nodes(layout):
    async def guesses() -> list[tuple[int, str]]:
        replies = []
        for attempt in range(WRONG_CODES_A_MINUTE + 1):  # a new connection each: round robin
            async with aiohttp.ClientSession(layout.base) as session, session.get(
                    f"/t/WRONG{attempt:04d}CODE") as reply:
                replies.append((reply.status, reply.headers.get("X-Evalapp-Node", "")))
        return replies

    replies = harness.run_async(guesses())
    assert [status for status, _ in replies] == [404] * WRONG_CODES_A_MINUTE + [429]
    assert len({node for _, node in replies}) == 2


def test_phones_racing_one_ticket_through_the_proxy_store_one_ballot(layout):
    outcome = cluster.race(layout.base, layout.tokens[0], PHONES)
    assert not outcome.errors
    assert outcome.statuses == {303: 1, 409: PHONES - 1}  # no 5xx
    assert set(outcome.nodes) == {"node1", "node2"}
    assert cluster.ballots(layout) == 1


def test_a_node_killed_mid_burst_and_another_mid_opening_lose_nothing(postgres_admin):
    """Every phone that was shown a receipt has its ballot, ballots = tickets spent, and the
    box opens once, on the one node left (bench.cluster's storm, small)."""
    with cluster.cluster(tickets=120, nodes=3) as layout:
        outcome = cluster.storm(layout, over=6)
    assert outcome.consistent, cluster.storm_report(outcome)
    assert outcome.killed_in_burst == "node1"
    assert outcome.killed_in_opening in {"node2", "node3"}
