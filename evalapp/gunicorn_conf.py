"""gunicorn's settings for evalapp (`gunicorn -c python:evalapp.gunicorn_conf ...`), chosen
from `bench.held` and `bench.phones` (README, "Production serving").

Phones keep their connection open after a page loads and open spare connections that send
nothing until needed. The default sync worker gives each connection a whole process; the
threaded worker gives a spare connection a thread until it has waited 5 s for a request, so
30 spare connections kept a new phone waiting 15 s, 60 of them past 20 s (4 workers × 8
threads, measured with `bench.held --preconnect`). The gevent worker gives each connection a
greenlet: 1,000 phones holding a loaded page and 200 spare connections, and a new phone got
its page in 7 ms. psycopg 3 yields to gevent by itself (from 3.1.14); the database pool
(5 + 10 connections a worker) bounds how many requests reach the database at once, and the
others wait for a connection, not for a thread.
"""

import os

worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_connections = 1000  # open connections per worker, idle ones included
# Seconds a connection may wait for its next request: enough to load a page's styles and
# scripts on one connection; a phone that stays on a page reconnects when it submits, and
# idle phones cannot fill every worker's `worker_connections`.
keepalive = 5
