"""Phones that keep their connections open never lock a new phone out: each production
server holds more idle keep-alive connections than its limit, and a new request is still
answered (the server closes idle connections instead of waiting for them)."""

from __future__ import annotations

import pytest

from bench import harness
from bench.held import hold
from evalapp import gunicorn_conf, serving
from tests.support.apps import BACKENDS, POSTGRES_URL

WORKERS = 2  # gunicorn's limit is worker_connections per worker


@pytest.fixture(params=BACKENDS)
def kind(request, monkeypatch):
    if request.param == "postgresql":
        monkeypatch.setattr(harness, "PG_ADMIN", POSTGRES_URL)
    return request.param


def connection_limit(kind: str) -> int:
    if kind == "postgresql":
        return WORKERS * gunicorn_conf.worker_connections
    return serving.CONNECTION_LIMIT


def test_a_new_phone_is_answered_past_the_connection_limit(kind, tmp_path):
    held = connection_limit(kind) + 20
    with harness.fresh_database(kind) as database:
        harness.prepare(database, 1, tmp_path)
        server = harness.Server(kind, database.url, tmp_path, WORKERS)
        server.start()
        try:
            # Generous: the server frees idle connections after its idle timeout (seconds),
            # where Waitress's defaults left a room locked out for minutes.
            outcome = hold(server.port, held, settle=30, wait=90)
        finally:
            log = server.stop()
    assert outcome.loaded >= held - 20, log
    assert outcome.new_phone is not None, log
