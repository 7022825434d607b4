from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from annotary.errors import InvalidInput, NotFound
from annotary.jobs import (
    JobContext,
    Worker,
    cancel_job,
    get_job,
    handler,
    run_next,
    submit_job,
)
from annotary.jobs.runner import _now, resume_stale
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

started = threading.Event()


@handler("test.count")
def _count(ctx: JobContext) -> dict[str, int]:
    total = ctx.params["n"]
    for done in range(1, total + 1):
        ctx.progress(done, total)
    return {"counted": total}


@handler("test.bad-input")
def _bad(ctx: JobContext) -> None:
    raise InvalidInput("line 3: no text")


@handler("test.crash")
def _crash(ctx: JobContext) -> None:
    raise ZeroDivisionError("boom")


@handler("test.slow")
def _slow(ctx: JobContext) -> None:
    started.set()
    for done in range(1000):
        ctx.progress(done)
        time.sleep(0.01)


def test_a_job_runs_reports_progress_and_keeps_its_result(workspace: Workspace) -> None:
    job_id = submit_job(workspace.db, "test.count", {"n": 5})
    assert get_job(workspace.db, job_id)["state"] == "queued"

    assert run_next(workspace.db) == job_id
    job = get_job(workspace.db, job_id)

    assert (job["state"], job["progress"], job["total"]) == ("done", 5, 5)
    assert job["result"] == {"counted": 5}
    assert run_next(workspace.db) is None


@pytest.mark.parametrize(
    ("kind", "error"),
    [("test.bad-input", "line 3: no text"), ("test.crash", "ZeroDivisionError: boom")],
)
def test_failures_are_recorded_not_raised(
    workspace: Workspace, kind: str, error: str
) -> None:
    job_id = submit_job(workspace.db, kind, {})
    run_next(workspace.db)
    job = get_job(workspace.db, job_id)
    assert (job["state"], job["error"]) == ("failed", error)


def test_unknown_kind_is_refused(workspace: Workspace) -> None:
    with pytest.raises(NotFound, match="test.count"):
        submit_job(workspace.db, "nope", {})


def test_cancel_stops_a_running_job(workspace: Workspace) -> None:
    started.clear()
    job_id = submit_job(workspace.db, "test.slow", {})
    worker = Worker(workspace.db, poll_seconds=0.05)
    worker.start()
    try:
        assert started.wait(10)
        cancel_job(workspace.db, job_id)
        deadline = time.monotonic() + 10
        while (
            get_job(workspace.db, job_id)["progress"] < 1
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
    finally:
        worker.stop()
    job = get_job(workspace.db, job_id)
    assert job["state"] == "cancelled"
    assert job["progress"] < 999


def test_a_job_whose_worker_died_is_queued_again(workspace: Workspace) -> None:
    job_id = submit_job(workspace.db, "test.count", {"n": 2})
    with workspace.db.write() as conn:
        conn.execute(
            update(t.jobs).values(
                state="running", updated_at=_now() - timedelta(hours=1)
            )
        )
    assert resume_stale(workspace.db) == 1
    assert run_next(workspace.db) == job_id
    assert get_job(workspace.db, job_id)["state"] == "done"


def test_worker_prepares_only_once_a_job_is_claimed(workspace: Workspace) -> None:
    calls: list[str] = []
    worker = Worker(
        workspace.db, poll_seconds=0.02, prepare=lambda: calls.append("prepared")
    )
    worker.start()
    try:
        time.sleep(0.2)  # several idle polls: nothing to prepare for yet
        assert calls == []
        first = submit_job(workspace.db, "test.count", {"n": 1})
        second = submit_job(workspace.db, "test.count", {"n": 2})
        deadline = time.monotonic() + 10
        while (
            get_job(workspace.db, second)["state"] != "done"
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
    finally:
        worker.stop()
    assert calls == ["prepared"]
    assert [get_job(workspace.db, j)["state"] for j in (first, second)] == [
        "done",
        "done",
    ]
    assert get_job(workspace.db, second)["result"] == {"counted": 2}
