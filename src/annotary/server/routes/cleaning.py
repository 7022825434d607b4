"""Cleaning: run the checks, list flags and clusters, decide about items."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from annotary.core.ids import MAX_ID
from annotary.lazy import LazyModule
from annotary.server.auth import WS, Actor
from annotary.server.params import BodyId, PathId

cleaning = LazyModule("annotary.services.cleaning")
jobs = LazyModule("annotary.services.prelabel")  # project_job: a job for its managers

router = APIRouter(tags=["cleaning"])
# services.cleaning.MAX_FLAGS, spelled out: importing it would load the checks.
MAX_FLAGS_PAGE = 5000


class CleanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[str] | None = None
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    background: bool = False


class Decisions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: dict[BodyId, Literal["keep", "exclude", "restore"]] = Field(
        max_length=100_000
    )
    reason: str | None = None


class ClusterChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clusters: list[str] | None = None


class Repair(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = None


@router.post("/projects/{pid}/clean")
def run_cleaning(
    pid: PathId, body: CleanRequest, ws: WS, actor: Actor, response: Response
) -> dict[str, Any]:
    """Run the checks now and return the report, or queue a job (managers).

    With ``background`` the answer is 202 and ``{"job": id, ...}``: follow
    its progress at ``GET /jobs/{id}``; the report is the job's ``result``.
    """
    if body.background:
        job_id = cleaning.submit_cleaning(
            ws, pid, actor=actor, checks=body.checks, params=body.params
        )
        response.status_code = 202
        return {"job": job_id, **jobs.project_job(ws, job_id, actor=actor)}
    return cleaning.run_cleaning(
        ws, pid, actor=actor, checks=body.checks, params=body.params
    )


@router.get("/projects/{pid}/clean/runs")
def runs(
    pid: PathId, ws: WS, actor: Actor, limit: int = Query(default=20, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """The report of each cleaning run, newest first, with decisions taken."""
    return cleaning.cleaning_runs(ws, pid, actor=actor, limit=limit)


@router.get("/projects/{pid}/flags")
def list_flags(
    pid: PathId,
    ws: WS,
    actor: Actor,
    check: str | None = None,
    min_score: float | None = None,
    decision: str | None = None,
    limit: int = Query(default=500, ge=1, le=MAX_FLAGS_PAGE),
    offset: int = Query(default=0, ge=0, le=MAX_ID),
) -> dict[str, Any]:
    """Flags, highest score first (managers)."""
    return cleaning.list_flags(
        ws,
        pid,
        actor=actor,
        check=check or None,
        min_score=min_score,
        decision=decision or None,
        limit=limit,
        offset=offset,
    )


@router.get("/projects/{pid}/flags/count")
def count_flags(
    pid: PathId, check: str, threshold: float, ws: WS, actor: Actor
) -> dict[str, Any]:
    """How many items a check flags at a score of at least ``threshold``."""
    return cleaning.count_for_threshold(ws, pid, check, threshold, actor=actor)


@router.get("/projects/{pid}/clusters")
def list_clusters(
    pid: PathId, ws: WS, actor: Actor, check: str | None = None
) -> list[dict[str, Any]]:
    """Duplicate clusters, members side by side with their scores (managers)."""
    return cleaning.clusters(ws, pid, actor=actor, check=check or None)


@router.post("/projects/{pid}/decisions")
def decide(pid: PathId, body: Decisions, ws: WS, actor: Actor) -> dict[str, int]:
    """Keep, exclude or restore items (managers)."""
    return cleaning.decide(
        ws, pid, dict(body.decisions), reason=body.reason, actor=actor
    )


@router.post("/projects/{pid}/clean/apply-suggestions")
def apply_suggestions(pid: PathId, ws: WS, actor: Actor) -> dict[str, int]:
    """Apply the suggested decisions to every undecided flagged item."""
    return cleaning.apply_suggestions(ws, pid, actor=actor)


@router.post("/projects/{pid}/clean/keep-one")
def keep_one(pid: PathId, body: ClusterChoice, ws: WS, actor: Actor) -> dict[str, int]:
    """Keep each cluster's representative, exclude the rest (all or the named)."""
    return cleaning.keep_one_per_cluster(ws, pid, body.clusters, actor=actor)


@router.post("/projects/{pid}/items/{iid}/repair")
def repair(
    pid: PathId, iid: PathId, body: Repair, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Apply a text repair as a new revision; 409 once the item is annotated."""
    return cleaning.repair_text(ws, pid, iid, text=body.text, actor=actor)


@router.post("/projects/{pid}/clean/repairs")
def repair_all(pid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """Apply every suggested text repair allowed; annotated items stay offered."""
    return cleaning.repair_all(ws, pid, actor=actor)
