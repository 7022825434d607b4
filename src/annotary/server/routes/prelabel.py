"""Model-assisted labeling: pre-label and retrain jobs, assistance, learning curve."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from annotary.lazy import LazyModule
from annotary.prelabel.base import HOLDOUT_SHARE
from annotary.server.auth import WS, Actor
from annotary.server.params import PathId

prelabel = LazyModule("annotary.services.prelabel")

router = APIRouter(tags=["prelabel"])


class PrelabelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    item_ids: list[int] | None = None
    filters: dict[str, Any] = Field(default_factory=dict)
    batch_size: int = Field(default=32, ge=1, le=1000)
    options: dict[str, Any] = Field(default_factory=dict)


class RetrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    options: dict[str, Any] = Field(default_factory=dict)
    holdout: float = Field(default=HOLDOUT_SHARE, ge=0, le=0.9)
    method: Literal["least_confidence", "margin", "entropy"] = "entropy"
    random_share: float = Field(default=0.1, ge=0, le=1)


@router.get("/prelabelers")
def models(actor: Actor, kind: str | None = None) -> list[dict[str, Any]]:
    """The registered pre-labelers; ``kind`` keeps those that read such items."""
    return prelabel.list_models(kind)


@router.post("/projects/{pid}/prelabel", status_code=202)
def start_prelabel(
    pid: PathId, body: PrelabelRequest, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Queue a pre-labeling job over the chosen items (managers); the job."""
    job_id = prelabel.submit_prelabel(
        ws,
        pid,
        body.model,
        actor=actor,
        item_ids=body.item_ids,
        batch_size=body.batch_size,
        options=body.options,
        **body.filters,
    )
    return prelabel.project_job(ws, job_id, actor=actor)


@router.post("/projects/{pid}/retrain", status_code=202)
def start_retrain(
    pid: PathId, ws: WS, actor: Actor, body: RetrainRequest | None = None
) -> dict[str, Any]:
    """Queue a retrain of the project's text classifier (managers); the job."""
    body = body or RetrainRequest()
    job_id = prelabel.submit_retrain(
        ws,
        pid,
        actor=actor,
        options=body.options,
        holdout=body.holdout,
        method=body.method,
        random_share=body.random_share,
    )
    return prelabel.project_job(ws, job_id, actor=actor)


@router.get("/jobs/{job_id}")
def job(job_id: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """A job's state, progress (done of total) and result."""
    return prelabel.project_job(ws, job_id, actor=actor)


@router.post("/jobs/{job_id}/cancel")
def cancel(job_id: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """Cancel a queued or running job; it stops at its next progress report."""
    return prelabel.cancel_project_job(ws, job_id, actor=actor)


@router.get("/projects/{pid}/assistance")
def assistance(pid: PathId, ws: WS, actor: Actor) -> dict[str, Any]:
    """What people changed in each model version's suggestions (managers)."""
    return prelabel.assistance_report(ws, pid, actor=actor)


@router.get("/projects/{pid}/learning-curve")
def learning_curve(pid: PathId, ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """Held-out accuracy after each retrain, oldest first."""
    return prelabel.learning_curve(ws, pid, actor=actor)
