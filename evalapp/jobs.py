"""Background work: jobs that outlive the request, and the node, that asked for them.

Opening a ballot box, drawing a campaign's charts and building its report take seconds to
minutes: no request should wait for them, and none of them may be lost with the server that
asked. With a broker configured (`JOB_BROKER_URL`, a Redis URL) a job is a message of
Dramatiq's, and `evalapp worker` runs them, any number of workers on any node. Dramatiq
acknowledges a message only once its job has returned, and hands the messages of a worker
that stopped beating (`JOB_HEARTBEAT_SECONDS`) to another: every job runs to its end at least
once. Each job here is written to be run again harmlessly (the opening takes the campaign's
row lock and leaves a closed campaign as it is; an output is written whole under its name),
so that it takes effect exactly once.

With no broker (the embedded default: `evalapp serve` on SQLite) the same functions run in a
thread of the process that asked, with no command to start and nothing to install. A kill
there loses the job but never its effect: what it was to do is still undone in the database
and is asked for again (the organiser closes again; a results page builds what is missing).

A job's arguments are ids and names only: the queue holds no secret and no personal data.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from flask import Flask, current_app

from evalapp.extensions import db

QUEUE = "evalapp"
EXTENSION = "evalapp.jobs"
log = logging.getLogger(__name__)


class JobsUnavailable(RuntimeError):
    """The queue could not take the job (Redis unreachable): nothing was queued."""


@dataclass(frozen=True)
class Job:
    """A function run in the background, by name. `daemon`: in-process, whether a server
    shutting down may cut it short (False for the opening, whose transaction it waits for).
    `max_retries`: how often a job that raised is tried again by a worker (a killed
    worker's job is handed on whatever this says). `minutes`: how long a worker lets it run
    before stopping it (Dramatiq's own limit is 10)."""

    name: str
    function: Callable[..., None]
    daemon: bool = True
    max_retries: int = 2
    minutes: int = 60


_JOBS: dict[str, Job] = {}


def job(name: str, *, daemon: bool = True, max_retries: int = 2, minutes: int = 60) -> Callable[
        [Callable[..., None]], Callable[..., None]]:
    """Register the decorated function as the job `name` (unique). Its arguments must be
    JSON values; it runs in an application context and its session is removed after."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        if name in _JOBS:
            raise ValueError(f"two jobs are named {name!r}")
        _JOBS[name] = Job(name, function, daemon, max_retries, minutes)
        return function

    return register


def init_app(app: Flask) -> None:
    """Connect `app` to its broker, when one is configured (the actors are declared when
    first needed: the jobs register as their modules are imported)."""
    url = app.config.get("JOB_BROKER_URL")
    broker = None
    if url:
        broker = RedisBroker(
            url=url, namespace=app.config["JOB_NAMESPACE"],
            heartbeat_timeout=int(float(app.config["JOB_HEARTBEAT_SECONDS"]) * 1000),
            # Redis's maintenance (handing on a dead worker's messages) runs on a share of
            # the commands; at Dramatiq's default (1 in 1,000) a quiet queue waits long.
            maintenance_chance=int(app.config["JOB_MAINTENANCE_CHANCE"]))
    app.extensions[EXTENSION] = broker


def enqueue(name: str, *args: Any) -> None:
    """Run the job `name` with `args` in the background: on the broker's queue, or in a
    thread of this process when there is none. Raises JobsUnavailable when the queue cannot
    be reached."""
    app: Flask = current_app._get_current_object()
    broker: RedisBroker | None = app.extensions[EXTENSION]
    if broker is None:
        job_ = _JOBS[name]
        threading.Thread(target=functools.partial(_run_in_context, app, job_, *args,
                                                  reraise=False),
                         name=f"job-{name}", daemon=job_.daemon).start()
        return
    try:
        _actor(app, broker, _JOBS[name]).send(*args)
    except (redis.RedisError, dramatiq.errors.DramatiqError) as error:
        raise JobsUnavailable(str(error)) from error


def worker(app: Flask, threads: int) -> dramatiq.Worker:
    """A Dramatiq worker of `threads` threads on the app's broker, running every job
    registered, not yet started. Raises LookupError when no broker is configured."""
    broker: RedisBroker | None = app.extensions[EXTENSION]
    if broker is None:
        raise LookupError("no job broker is configured (JOB_BROKER_URL)")
    for job_ in _JOBS.values():
        _actor(app, broker, job_)
    return dramatiq.Worker(broker, queues={QUEUE}, worker_threads=threads)


def _actor(app: Flask, broker: RedisBroker, job_: Job) -> dramatiq.Actor:
    if job_.name in broker.actors:
        return broker.get_actor(job_.name)
    return dramatiq.Actor(
        functools.partial(_run_in_context, app, job_, reraise=True), broker=broker,
        actor_name=job_.name, queue_name=QUEUE, priority=0,
        options={"max_retries": job_.max_retries, "min_backoff": 1000, "max_backoff": 30000,
                 "time_limit": job_.minutes * 60_000})


def _run_in_context(app: Flask, job_: Job, *args: Any, reraise: bool) -> None:
    """Run the job in an application context. A failure is logged; `reraise` hands it on
    (to Dramatiq, which retries), else it ends here (a thread's uncaught error would only be
    printed again)."""
    with app.app_context():
        try:
            job_.function(*args)
        except Exception:
            log.exception("job %s%r failed", job_.name, args)
            if reraise:
                raise
        finally:
            db.session.remove()
