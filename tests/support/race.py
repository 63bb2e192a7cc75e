"""Requests released together, to race for one row."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def all_at_once(jobs):
    start = threading.Barrier(len(jobs))

    def run(job):
        start.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))
