"""Quality: the report, consensus, label errors, review and gold answers."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from annotary.lazy import LazyModule
from annotary.server.auth import WS, Actor
from annotary.server.params import BodyId, BodyVersion, PathId, QueryId, QueryVersion
from annotary.services import gold, review

quality = LazyModule("annotary.services.quality")

router = APIRouter(tags=["quality"])


class ConsensusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["majority", "dawid_skene"] = "majority"


class LabelErrorsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top: int = Field(default=50, ge=1, le=10_000)


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject", "fix"]
    comment: str = ""
    regions: list[dict[str, Any]] | None = None
    version: BodyVersion | None = None


class GoldAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[BodyId, list[dict[str, Any]]]


@router.get("/projects/{pid}/quality")
def quality_report(
    pid: PathId,
    ws: WS,
    actor: Actor,
    guideline_version: QueryVersion | None = None,
    iou_threshold: float = Query(default=0.5, gt=0, le=1),
) -> dict[str, Any]:
    """Agreement, confusion, gold accuracy, rejection rate, timeline, cards."""
    return quality.quality_report(
        ws,
        pid,
        actor=actor,
        guideline_version=guideline_version,
        iou_threshold=iou_threshold,
    )


@router.post("/projects/{pid}/consensus")
def consensus(
    pid: PathId, ws: WS, actor: Actor, body: ConsensusRequest | None = None
) -> dict[str, Any]:
    """Store one consensus annotation per item (managers)."""
    method = body.method if body else "majority"
    return quality.create_consensus(ws, pid, method, actor=actor)


@router.post("/projects/{pid}/label-errors")
def label_errors(
    pid: PathId, ws: WS, actor: Actor, body: LabelErrorsRequest | None = None
) -> list[dict[str, Any]]:
    """Rank likely label errors and flag them for review (managers)."""
    top = body.top if body else 50
    return quality.find_label_errors(ws, pid, actor=actor, top=top)


@router.get("/projects/{pid}/reviews/queue")
def review_queue(
    pid: PathId,
    ws: WS,
    actor: Actor,
    limit: int = Query(default=50, ge=1, le=1000),
    suspects_only: bool = False,
) -> list[dict[str, Any]]:
    """Submitted annotations waiting for the caller's review."""
    waiting = review.review_queue(
        ws, pid, actor=actor, limit=limit, suspects_only=suspects_only
    )
    return [a.model_dump(mode="json") for a in waiting]


@router.post("/annotations/{aid}/review")
def review_annotation(
    aid: PathId, body: ReviewDecision, ws: WS, actor: Actor
) -> dict[str, Any]:
    """Accept, reject with a comment, or fix (a new version by the reviewer)."""
    return review.review_annotation(
        ws,
        aid,
        body.decision,
        actor=actor,
        comment=body.comment,
        regions=body.regions,
        version=body.version,
    )


@router.get("/annotations/{aid}/reviews")
def reviews_of(aid: PathId, ws: WS, actor: Actor) -> list[dict[str, Any]]:
    """The review history of an annotation."""
    return review.reviews_of(ws, aid, actor=actor)


@router.get(
    "/annotations/{aid}/gold-feedback",
    responses={204: {"description": "no feedback for this annotation"}},
)
def gold_feedback(aid: PathId, ws: WS, actor: Actor) -> Any:
    """Whether a submitted gold item matched, when the project gives feedback."""
    feedback = quality.gold_feedback(ws, aid, actor)
    if feedback is None:
        return Response(status_code=204)
    return feedback


@router.get("/projects/{pid}/audit")
def audit_log(
    pid: PathId,
    ws: WS,
    actor: Actor,
    limit: int = Query(default=200, ge=1, le=5000),
    before: QueryId | None = None,
    action: str | None = Query(default=None, min_length=1, max_length=50),
    user: str | None = Query(default=None, min_length=1, max_length=150),
) -> list[dict[str, Any]]:
    """Who changed what and when in the project, newest first (managers).

    Page back with ``before`` (the last id of the page before); keep one
    ``action`` or one ``user`` (user name).
    """
    return review.audit_log(
        ws, pid, actor=actor, limit=limit, before=before, action=action, user=user
    )


@router.get("/projects/{pid}/audit/actions")
def audit_actions(pid: PathId, ws: WS, actor: Actor) -> list[str]:
    """The action names in the project's audit log, sorted (managers)."""
    return review.audit_actions(ws, pid, actor=actor)


@router.put("/projects/{pid}/gold")
def set_gold(pid: PathId, body: GoldAnswers, ws: WS, actor: Actor) -> dict[str, int]:
    """Store gold answers (item id -> regions), replacing earlier ones."""
    return {"stored": quality.set_project_gold(ws, pid, body.answers, actor=actor)}


@router.get("/projects/{pid}/gold")
def get_gold(pid: PathId, ws: WS, actor: Actor) -> dict[str, list[dict[str, Any]]]:
    """The project's gold answers (managers)."""
    answers = gold.gold_answers(ws, pid, actor=actor)
    return {
        str(item): [r.model_dump(mode="json") for r in regions]
        for item, regions in answers.items()
    }
