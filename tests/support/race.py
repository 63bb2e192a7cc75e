"""Requests raced against a live server: each job starts at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bench.harness import CSRF
from bench.http import HttpClient
from tests.support.factories import PASSWORD


def all_at_once(jobs):
    start = threading.Barrier(len(jobs))

    def run(job):
        start.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def logged_in(base: str, username: str) -> HttpClient:
    """A staff member's own session on the live server at `base`."""
    client = HttpClient(base)
    token = CSRF.search(client.get("/auth/login").text).group(1)
    assert client.post("/auth/login", {"username": username, "password": PASSWORD,
                                       "csrf_token": token}).status == 302
    return client


def form_token(client: HttpClient, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)
