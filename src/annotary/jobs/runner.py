"""Submitting, claiming, running and cancelling jobs."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from annotary.errors import AnnotaryError, NotFound
from annotary.storage import Database, inserted_id
from annotary.storage import tables as t

log = logging.getLogger("annotary.jobs")

Handler = Callable[["JobContext"], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}
STALE_AFTER = timedelta(minutes=10)


class JobCancelled(Exception):
    """Raised inside a handler when someone cancelled its job."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobContext:
    db: Database
    job_id: int
    project_id: int | None
    params: dict[str, Any]
    extra: dict[str, Any]

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress; raises JobCancelled if the job was cancelled."""
        with self.db.write() as conn:
            values: dict[str, Any] = {"progress": done, "updated_at": _now()}
            if total is not None:
                values["total"] = total
            conn.execute(
                update(t.jobs).where(t.jobs.c.id == self.job_id).values(**values)
            )
            state = conn.execute(
                select(t.jobs.c.state).where(t.jobs.c.id == self.job_id)
            ).scalar()
        if state == "cancelled":
            raise JobCancelled(f"job {self.job_id} was cancelled")


def submit_job(
    db: Database,
    kind: str,
    params: dict[str, Any],
    *,
    project_id: int | None = None,
    conn: Connection | None = None,
) -> int:
    """Queue a job of ``kind``; its id.

    ``conn`` is an open write transaction to queue it in, so a caller can
    check and queue atomically (one pending retrain per project).
    """
    if kind not in _HANDLERS:
        raise NotFound(f"no job kind {kind!r}; known: {', '.join(sorted(_HANDLERS))}")
    if conn is not None:
        return _insert_job(conn, kind, params, project_id)
    with db.write() as conn:
        return _insert_job(conn, kind, params, project_id)


def _insert_job(
    conn: Connection, kind: str, params: dict[str, Any], project_id: int | None
) -> int:
    stamp = _now()
    return inserted_id(
        conn.execute(
            t.jobs.insert().values(
                project_id=project_id,
                kind=kind,
                state="queued",
                params=params,
                progress=0,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    )


def get_job(db: Database, job_id: int) -> dict[str, Any]:
    with db.read() as conn:
        row = (
            conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).mappings().first()
        )
    if row is None:
        raise NotFound(f"no job with id {job_id}")
    return dict(row)


def list_jobs(db: Database, project_id: int | None = None) -> list[dict[str, Any]]:
    with db.read() as conn:
        query = select(t.jobs).order_by(t.jobs.c.id.desc()).limit(200)
        if project_id is not None:
            query = query.where(t.jobs.c.project_id == project_id)
        return [dict(row) for row in conn.execute(query).mappings()]


def cancel_job(db: Database, job_id: int) -> None:
    with db.write() as conn:
        changed = conn.execute(
            update(t.jobs)
            .where((t.jobs.c.id == job_id) & t.jobs.c.state.in_(("queued", "running")))
            .values(state="cancelled", updated_at=_now())
        ).rowcount
    if not changed:
        get_job(db, job_id)  # NotFound if it does not exist; else it had finished


def resume_stale(db: Database) -> int:
    """Queue again the running jobs whose worker stopped reporting."""
    with db.write() as conn:
        return int(
            conn.execute(
                update(t.jobs)
                .where(
                    (t.jobs.c.state == "running")
                    & (t.jobs.c.updated_at < _now() - STALE_AFTER)
                )
                .values(state="queued", worker=None)
            ).rowcount
        )


def _claim(db: Database, worker: str) -> dict[str, Any] | None:
    with db.write() as conn:
        query = (
            select(t.jobs.c.id)
            .where(t.jobs.c.state == "queued")
            .order_by(t.jobs.c.id)
            .limit(1)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        job_id = conn.execute(query).scalar()
        if job_id is None:
            return None
        conn.execute(
            update(t.jobs)
            .where(t.jobs.c.id == job_id)
            .values(state="running", worker=worker, updated_at=_now())
        )
        return dict(
            conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).mappings().one()
        )


def _finish(db: Database, job_id: int, **values: Any) -> None:
    with db.write() as conn:
        conn.execute(
            update(t.jobs)
            .where((t.jobs.c.id == job_id) & (t.jobs.c.state == "running"))
            .values(updated_at=_now(), **values)
        )


def run_next(
    db: Database,
    extra: dict[str, Any] | None = None,
    *,
    prepare: Callable[[], None] | None = None,
) -> int | None:
    """Claim and run one queued job; its id, or None when none was queued.

    ``prepare`` is called once a job is claimed, before its handler is looked
    up (a worker imports its handlers there).
    """
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    job = _claim(db, worker)
    if job is None:
        return None
    if prepare is not None:
        prepare()
    ctx = JobContext(db, job["id"], job["project_id"], job["params"], extra or {})
    log.info("job %s (%s) started", job["id"], job["kind"])
    try:
        result = _HANDLERS[job["kind"]](ctx)
    except JobCancelled:
        log.info("job %s cancelled", job["id"])
    except AnnotaryError as exc:
        _finish(db, job["id"], state="failed", error=exc.message)
        log.info("job %s failed: %s", job["id"], exc.message)
    except Exception as exc:  # a handler bug must not kill the worker
        _finish(db, job["id"], state="failed", error=f"{type(exc).__name__}: {exc}")
        log.error("job %s crashed:\n%s", job["id"], traceback.format_exc())
    else:
        _finish(db, job["id"], state="done", result=result or {})
        log.info("job %s done", job["id"])
    return int(job["id"])


class Worker:
    """A background thread that runs jobs until stopped."""

    def __init__(
        self,
        db: Database,
        extra: dict[str, Any] | None = None,
        poll_seconds: float = 0.5,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        """``prepare`` runs in the worker's thread once a job is waiting,
        before the worker takes it: importing the job handlers (scikit-learn,
        OpenCV, ...) then keeps them off a server's start-up path."""
        self.db = db
        self.extra = extra or {}
        self.poll_seconds = poll_seconds
        self._prepare = prepare
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="annotary-jobs", daemon=True
        )

    def start(self) -> None:
        resume_stale(self.db)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _prepared(self) -> None:
        if self._prepare is not None:
            prepare, self._prepare = self._prepare, None
            try:
                prepare()
            except Exception:  # the job then fails, naming its missing handler
                log.exception("job worker could not load its job handlers")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = run_next(self.db, self.extra, prepare=self._prepared)
            except Exception:  # the database went away: wait and retry
                log.exception("job worker could not claim a job")
                ran = None
            if ran is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
