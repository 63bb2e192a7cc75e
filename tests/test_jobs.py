"""Background work (evalapp.jobs): on a Redis queue, a worker killed in the middle of opening a
box has its job finished by another worker, exactly once, and the results are built by the
survivor; with no queue (the embedded default) the same jobs run in the process, and a
campaign's results are made by the time a leader looks."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.ballotbox import closing, operations
from evalapp.ballotbox.closing import read_progress, start_opening
from evalapp.ballotbox.keystore import KeyMissing, server_key
from evalapp.ballotbox.models import BoxKey, BoxOpening
from evalapp.ballotbox.operations import close_campaign, sealed_boxes, sealed_count
from evalapp.ballotbox.sealing import unseal
from evalapp.ballots.models import Ballot
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.i18n import LANGUAGES
from evalapp.results import outputs, store
from evalapp.results.compute import campaign_results
from evalapp.results.models import ResultOutput
from evalapp.results.store import prepare_unprepared
from tests.support.apps import POSTGRES_URL, dispose
from tests.support.ballots import closed_campaign
from tests.support.custody import printed_share_campaign
from tests.support.factories import make_user
from tests.support.organiser import close_on_the_web
from tests.support.rater import campaign_of, make_tickets, vote
from tests.support.web import csrf_token, login

REDIS_URL = os.environ.get("EVALAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
EVALAPP = str(Path(sys.executable).parent / "evalapp")


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")


def ready_outputs(app, campaign_id: int) -> int:
    """How many outputs of the campaign are kept ready (in a session ended at once: on
    SQLite an open transaction outside a request would hold the write lock the jobs need)."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ResultOutput).where(
            ResultOutput.state == "ready", ResultOutput.campaign_id == campaign_id))


class Worker:
    """`evalapp worker` as its own process group, with the node's settings."""

    def __init__(self, database_url: str, instance: Path, key: str) -> None:
        instance.mkdir(parents=True, exist_ok=True)
        self.log = instance / "worker.log"
        env = {**os.environ, "EVALAPP_DATABASE_URL": database_url,
               "EVALAPP_INSTANCE_PATH": str(instance), "EVALAPP_SECRET_KEY": "test-secret",
               "EVALAPP_KEY_ENCRYPTION_KEY": key, "EVALAPP_JOB_BROKER_URL": REDIS_URL}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([EVALAPP, "worker", "--threads", "1"], env=env,
                                            stdout=log, stderr=log, start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        return self.process.returncode


@pytest.mark.one_database
def test_a_worker_killed_while_opening_the_box_is_replaced_and_the_box_opens_once(
        make_app, tmp_path):
    """Worker A takes the opening and waits for the campaign's row, which a rater's submit
    holds; A is killed (SIGKILL, no goodbye); worker B, on another node, gets A's job once
    A's heartbeat has stopped, opens the box with every ballot, exactly once (run a second
    time, the job finds the campaign closed), then builds the campaign's results."""
    if not (POSTGRES_URL and redis_answers()):
        pytest.skip("needs PostgreSQL (EVALAPP_TEST_POSTGRES_URL) and Redis at " + REDIS_URL)
    namespace = f"evalapp-test-{uuid.uuid4().hex[:12]}"
    key = secrets.token_hex(32)
    settings = {"KEY_ENCRYPTION_KEY": key, "JOB_BROKER_URL": REDIS_URL,
                "JOB_NAMESPACE": namespace, "JOB_HEARTBEAT_SECONDS": 2,
                "JOB_MAINTENANCE_CHANCE": 1_000_000}
    app = make_app(**settings)
    database_url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if not database_url.startswith("postgresql"):
        pytest.skip("the nodes share a PostgreSQL database")
    for node in ("a", "b"):  # what the worker's node reads beyond its environment
        (tmp_path / node).mkdir()
        (tmp_path / node / "config.py").write_text(
            f"JOB_NAMESPACE = {namespace!r}\nJOB_HEARTBEAT_SECONDS = 2\n"
            "JOB_MAINTENANCE_CHANCE = 1_000_000\n")
    with app.app_context():
        tickets = make_tickets()
    opinions = [f"工作进程被杀也不丢的意见 {n}" for n in range(3)]
    for opinion, token in zip(opinions, tickets.single, strict=False):
        vote(app, token, opinion)
    engine = sa.create_engine(database_url)
    workers = []
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("SELECT id FROM campaigns WHERE id = :c FOR SHARE"),
                           {"c": tickets.campaign_id})  # as a submit under way does
            with app.app_context():
                start_opening(tickets.campaign_id, None, sealed_count(tickets.campaign_id))
            workers.append(worker_a := Worker(database_url, tmp_path / "a", key))

            def a_waits_for_the_row() -> bool:  # asked apart: a transaction sees one snapshot
                with engine.connect() as watcher:
                    return bool(watcher.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE 'SELECT campaigns.%'")).scalar())  # cut short

            wait_until(a_waits_for_the_row, 60, "worker A taking the opening")
            worker_a.kill()
            holder.rollback()
        with app.app_context():
            assert campaign_of(tickets.campaign_id).status is CampaignStatus.OPEN
        workers.append(worker_b := Worker(database_url, tmp_path / "b", key))

        def closed() -> bool:
            with app.app_context():
                return campaign_of(tickets.campaign_id).status is CampaignStatus.CLOSED

        wait_until(closed, 90, "worker B opening the box")
        with app.app_context():  # the same job once more, as a second hand-over would be
            start_opening(tickets.campaign_id, None, 0)

        with app.app_context(), app.test_request_context():
            expected = len(outputs.prepared(campaign_results(
                campaign_of(tickets.campaign_id)))) * len(LANGUAGES)
        wait_until(lambda: ready_outputs(app, tickets.campaign_id) == expected, 180,
                   "worker B building the results")
        wait_until(lambda: _state(app, tickets.campaign_id) == "done", 60,
                   "the job sent again reported done")
        with app.app_context():
            assert sorted(db.session.scalars(sa.select(Ballot.comment).where(
                Ballot.campaign_id == tickets.campaign_id, Ballot.comment != ""))) == opinions
            assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "campaign.close",
                AuditEntry.campaign_id == tickets.campaign_id)) == 1
            assert db.session.scalar(sa.select(sa.func.count()).select_from(BoxKey)) == 0
            progress = read_progress(tickets.campaign_id)
            assert progress is not None and progress.state == "done"
        assert worker_b.stop() == 0  # SIGTERM: finishes what it holds and stops
        assert "Traceback" not in worker_b.log.read_text()
    finally:
        for worker in workers:
            worker.stop()
        engine.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        for name in client.scan_iter(f"{namespace}*"):
            client.delete(name)


def test_without_a_queue_closing_prepares_every_result_a_leader_meets(make_app):
    """The embedded default: no worker, no broker. Closing through the organiser's pages
    builds, in the server's own process, every chart and export in both languages: the
    leader's first view of each reads them made (nothing is computed or drawn), and the
    report is there at once."""
    app = make_app(PREPARE_RESULTS_AT_CLOSE=True)
    with app.app_context():
        tickets = make_tickets()
        unit = campaign_of(tickets.campaign_id).unit
        make_user("organiser", unit)
        make_user("leader", unit, Role.LEADER)
        db.session.commit()
    for token in tickets.single[:6]:
        vote(app, token, "")
    organiser = app.test_client()
    login(organiser, "organiser")
    close_on_the_web(organiser, tickets.campaign_id)

    with app.app_context(), app.test_request_context():
        names = outputs.prepared(campaign_results(campaign_of(tickets.campaign_id)))
    wait_until(lambda: ready_outputs(app, tickets.campaign_id) == len(names) * len(LANGUAGES), 120,
               "the results prepared")

    def nothing_computed(*_args):
        raise AssertionError(f"computed on the leader's first view: {_args[1:]}")

    leader = app.test_client()
    login(leader, "leader")
    base = f"/campaigns/{tickets.campaign_id}/results"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "build", nothing_computed)
        for name in names:
            if name == outputs.SUMMARY:  # read by a round's roll-up, not a page (counted ready)
                continue
            path = (f"{base}/{name}" if not name.startswith("subject-")
                    else "{}/{}/{}".format(base, *name.removeprefix("subject-").split("-")))
            response = leader.get(path)
            assert response.status_code == 200 and len(response.data) > 100, path


def test_the_worker_without_a_queue_says_what_to_set(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1
    assert "没有配置任务队列" in result.output and "EVALAPP_JOB_BROKER_URL" in result.output


def test_serving_prepares_what_an_ended_process_left_unprepared(make_app):
    """`evalapp demo` and `evalapp close` end before the builds their closing queued in
    their own threads: the server, at start, queues what is not kept (and nothing twice)."""
    app = make_app()  # closing prepares nothing, as when the process ended at once
    with app.app_context():
        tickets = make_tickets()
    for token in tickets.single[:6]:
        vote(app, token, "")
    with app.app_context():
        close_campaign(campaign_of(tickets.campaign_id))
    app.config["PREPARE_RESULTS_AT_CLOSE"] = True
    with app.app_context():
        closed = db.session.scalars(sa.select(Campaign.id).where(
            Campaign.status == CampaignStatus.CLOSED)).all()
        assert prepare_unprepared() == len(closed) >= 2
    with app.app_context(), app.test_request_context():
        expected = len(outputs.prepared(campaign_results(campaign_of(tickets.campaign_id))))
    wait_until(lambda: ready_outputs(app, tickets.campaign_id) == expected * len(LANGUAGES),
               120, "the results prepared")
    wait_until(lambda: all(ready_outputs(app, campaign_id) for campaign_id in closed), 120,
               "every campaign's results prepared")
    dispose(app)  # every build over
    with app.app_context():
        assert prepare_unprepared() == 0


def _close_with_shares(client, campaign_id: int, typed: list[str]):
    login(client)
    path = f"/campaigns/{campaign_id}/close"
    form = {"csrf_token": csrf_token(client, path)}
    return client.post(path, data=form | {f"shares-{i}": s for i, s in enumerate(typed[:3])})


def _handed_over(app, public: bytes) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(BoxKey).where(
            BoxKey.public_key == public))


@pytest.mark.parametrize("defence", [True, False], ids=["defended", "undefended"])
def test_a_failed_opening_leaves_no_key_the_scrutineers_shares_made(app, client, monkeypatch,
                                                                     defence):
    """The shares' key is handed to the opening job wrapped in the database; if the opening
    fails, the campaign stays open and that key must go, or the server alone (database and
    key-encryption key) would open the box, and every ballot cast after, with no share."""
    with app.app_context():
        tickets = make_tickets(singles=3)
    draft_id, public, typed = printed_share_campaign(app)
    vote(app, tickets.draft, "只有监票人能打开的意见")

    def fails(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(closing, "open_box", fails)
    if not defence:
        monkeypatch.setattr(closing, "withdraw", lambda public_key: None)
    assert _close_with_shares(client, draft_id, typed).status_code == 303
    wait_until(lambda: _state(app, draft_id) == "failed", 30, "the opening reported failed")
    with app.app_context():
        assert campaign_of(draft_id).status is CampaignStatus.OPEN
        try:
            key = server_key(public)
        except KeyMissing:
            key = None
        if defence:
            assert key is None
        else:  # the attack has teeth: the server reads the sealed opinion with no share
            boxes = list(sealed_boxes(db.session.connection(), draft_id))
            assert unseal(key, boxes[0])[1][0].comment == "只有监票人能打开的意见"
    assert _handed_over(app, public) == (0 if defence else 1)
    page = client.get(f"/campaigns/{draft_id}/closing")
    assert page.status_code == 303 and page.headers["Location"].endswith("/close")


def _state(app, campaign_id: int) -> str | None:
    with app.app_context():
        progress = read_progress(campaign_id)
        return progress.state if progress else None


def test_a_closing_cut_short_after_its_commit_is_finished_by_the_next_run(make_app,
                                                                         monkeypatch):
    """The box opened and committed, then what follows (the storage's compaction, which
    leaves no trace of a spend in the files, and the results' preparation) failed: the job's
    next run finds the campaign closed and finishes it, as does a server's start after a
    process died there."""
    app = make_app()
    with app.app_context():
        tickets = make_tickets(singles=5)
    vote(app, tickets.single[0], "意见")
    compactions = []

    def compaction(*, fail: bool) -> None:
        compactions.append(fail)
        if fail:
            raise RuntimeError("could not compact")

    monkeypatch.setattr(operations, "compact_storage", lambda: compaction(fail=True))
    with app.app_context():
        start_opening(tickets.campaign_id, None, 1)
        dispose(app)  # the queued job ran in its thread, and failed after the commit
        assert campaign_of(tickets.campaign_id).status is CampaignStatus.CLOSED
        assert read_progress(tickets.campaign_id).state == "failed"
    monkeypatch.setattr(operations, "compact_storage", lambda: compaction(fail=False))
    with app.app_context():
        request = read_progress(tickets.campaign_id).request
        closing.open_box_job(tickets.campaign_id, None, request)  # a worker's retry
        assert read_progress(tickets.campaign_id).state == "done"
        closing.open_box_job(tickets.campaign_id, None, request)  # done: nothing again
    assert compactions == [True, False]
    with app.app_context():  # a process that died there: the next start finishes it
        closing._report(tickets.campaign_id, "opening", 0, 1)
        db.session.execute(sa.update(BoxOpening).values(
            updated_at=utcnow() - timedelta(seconds=closing.STALE_SECONDS + 1)))
        db.session.commit()
        assert closing.settle_interrupted() == 1
        assert read_progress(tickets.campaign_id).state == "done"
    assert compactions == [True, False, False]


def test_with_the_queue_unreachable_closing_says_so_and_keeps_no_key(make_app):
    """Redis down when the organiser closes a box of printed shares: the page says what
    happened (503), the closing can be started again at once, and the key the shares made
    is not left in the database."""
    app = make_app(JOB_BROKER_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        make_tickets(singles=3)
    draft_id, public, typed = printed_share_campaign(app)
    client = app.test_client()
    refused = _close_with_shares(client, draft_id, typed)
    assert refused.status_code == 503 and "任务队列" in refused.get_data(as_text=True)
    assert client.get(f"/campaigns/{draft_id}/close").status_code == 200
    assert _handed_over(app, public) == 0 and _state(app, draft_id) == "failed"


def test_a_chart_is_served_when_the_database_cannot_keep_it(app, monkeypatch):
    """Keeping is a convenience: a chart whose row cannot be written (SQLite's one write
    lock held by an opening past the busy timeout) is served all the same."""
    campaign_id = closed_campaign(app, ["好"] * 5)

    def locked(*_args, **_kwargs):
        raise sa.exc.OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(store, "write_now", locked)
    client = app.test_client()
    login(client, "leader")
    response = client.get(f"/campaigns/{campaign_id}/results/subjects.png")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")


@pytest.mark.parametrize("defence", [True, False], ids=["defended", "undefended"])
def test_a_job_no_closing_asked_for_opens_nothing(app, monkeypatch, defence):
    """Whoever can write to the queue's Redis pushes a job to open an open campaign's box:
    without the name of a closing the organiser started, the campaign stays open."""
    with app.app_context():
        tickets = make_tickets(singles=3)
    vote(app, tickets.single[0], "不该被提前开箱的意见")
    if not defence:
        monkeypatch.setattr(closing.secrets, "compare_digest", lambda _a, _b: True)
    with app.app_context():
        closing._report(tickets.campaign_id, "failed", 0, 0)  # an earlier closing, say
        closing.open_box_job(tickets.campaign_id, None, "f" * 32)  # the forged message
        status = campaign_of(tickets.campaign_id).status
    assert status is (CampaignStatus.OPEN if defence else CampaignStatus.CLOSED)
