"""gunicorn's settings for evalapp (`gunicorn -c python:evalapp.gunicorn_conf ...`), chosen
from `bench.held` and `bench.phones` (docs/operations.md, "Production serving").

Phones keep their connection open after a page loads and open spare connections that send
nothing until needed. The default sync worker gives each connection a whole process; the
threaded worker gives a spare connection a thread until it has waited 5 s for a request, so
30 spare connections kept a new phone waiting 15 s, 60 of them past 20 s (4 workers × 8
threads, measured with `bench.held --preconnect`). The gevent worker gives each connection a
greenlet: 1,000 phones holding a loaded page and 200 spare connections, and a new phone got
its page in 7 ms. psycopg 3 yields to gevent by itself (from 3.1.14).

A greenlet per connection would also start every request at once: under a burst they all
share the CPU and all finish late, and past the database pool (5 + 10 connections a worker)
they failed after its 30 s wait (372 errors in 1,000 phones). So at most IN_FLIGHT requests
run in a worker at a time, as many as the threaded worker's threads; the others wait their
turn in order, holding nothing but their connection.
"""

import os

worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_connections = 1000  # open connections per worker, idle ones included
# Seconds a connection may wait for its next request: enough to load a page's styles and
# scripts on one connection; a phone that stays on a page reconnects when it submits, and
# idle phones cannot fill every worker's `worker_connections`.
keepalive = 5
IN_FLIGHT = 8  # requests running at once in a worker: fewer than its database connections


def when_ready(server):
    """Warns when several workers would each count wrong codes and log-ins on their own."""
    storage = os.environ.get("EVALAPP_RATELIMIT_STORAGE_URI", "memory://")
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "evalapp: %d workers count rate limits in memory, each on its own, so a limit "
            "allows up to %d times its number; set EVALAPP_RATELIMIT_STORAGE_URI=redis://...",
            server.cfg.workers, server.cfg.workers)


def post_worker_init(worker):
    """The turn-taking of a gevent worker (another worker class, chosen on the command line,
    has its own threads and none)."""
    if type(worker).__module__.endswith("ggevent"):
        from gevent.lock import BoundedSemaphore

        worker.in_flight = BoundedSemaphore(IN_FLIGHT)


def pre_request(worker, req):
    if hasattr(worker, "in_flight"):
        worker.in_flight.acquire()


def post_request(worker, req, environ, resp):
    if hasattr(worker, "in_flight"):
        worker.in_flight.release()
