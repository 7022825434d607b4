from __future__ import annotations

from datetime import timedelta

import pytest

from annotary.errors import InvalidInput, PermissionDenied
from annotary.services import annotations, exports, items, projects, queue, review
from annotary.services.workspace import Workspace
from tests.services.helpers import add_texts, member

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}]}


def _setup(ws: Workspace, name: str = "P", **settings: object) -> tuple[int, list[int]]:
    project = projects.create_project(
        ws, name, "text", label_schema=SCHEMA, settings=settings
    )
    return project.id, add_texts(ws, project.id, ["good", "bad", "meh"])


def _label(ws: Workspace, pid: int, user, label: str):  # noqa: ANN001, ANN202
    item = queue.next_item(ws, pid, user)
    return annotations.create_annotation(
        ws, item.id, [{"type": "class", "label": label}], actor=user
    )


def test_reject_sends_the_item_back_with_the_comment(workspace: Workspace) -> None:
    pid, _ = _setup(workspace)
    ann, rev = (
        member(workspace, pid, "ann", "annotator"),
        member(workspace, pid, "rev", "reviewer"),
    )
    work = _label(workspace, pid, ann, "neg")

    (waiting,) = review.review_queue(workspace, pid, actor=rev)[:1]
    outcome = review.review_annotation(
        workspace, waiting.id, "reject", actor=rev, comment="'good' is positive"
    )

    assert outcome["annotation"]["state"] == "rejected"
    again = queue.next_item(workspace, pid, ann)
    assert again is not None and again.id == work.item_id
    history = review.reviews_of(workspace, work.id, actor=ann)
    assert [(h["decision"], h["comment"], h["reviewer"]) for h in history] == [
        ("reject", "'good' is positive", "rev")
    ]
    fixed = annotations.update_annotation(
        workspace,
        work.id,
        version=outcome["annotation"]["version"],
        actor=ann,
        regions=[{"type": "class", "label": "pos"}],
        state="submitted",
    )
    assert fixed.state == "submitted"
    assert queue.next_item(workspace, pid, ann).id != work.item_id


def test_fix_is_a_new_version_by_the_reviewer_and_keeps_the_original(
    workspace: Workspace,
) -> None:
    pid, _ = _setup(workspace)
    ann, rev = (
        member(workspace, pid, "ann", "annotator"),
        member(workspace, pid, "rev", "reviewer"),
    )
    work = _label(workspace, pid, ann, "neg")

    outcome = review.review_annotation(
        workspace,
        work.id,
        "fix",
        actor=rev,
        regions=[{"type": "class", "label": "pos"}],
    )

    fix = outcome["fix"]
    assert (fix["author"], fix["parent_id"], fix["state"]) == (
        "rev",
        work.id,
        "accepted",
    )
    original = annotations.get_annotation(workspace, work.id)
    assert original.regions[0].label == "neg"
    records = dict(
        (item.id, anns) for item, anns in exports.iter_records(workspace, pid)
    )
    assert [a.author for a in records[work.item_id]] == ["rev"]
    assert items.get_item(workspace, work.item_id).status == "reviewed"


def test_accept_and_audit_log(workspace: Workspace) -> None:
    pid, _ = _setup(workspace)
    ann, rev = (
        member(workspace, pid, "ann", "annotator"),
        member(workspace, pid, "rev", "reviewer"),
    )
    work = _label(workspace, pid, ann, "pos")
    review.review_annotation(workspace, work.id, "accept", actor=rev)

    assert review.review_queue(workspace, pid, actor=rev) == []
    log = review.audit_log(workspace, pid)
    assert [e["action"] for e in log][:2] == ["review.accept", "annotation.create"]
    assert log[0]["user"] == "rev"


@pytest.mark.parametrize(
    ("decision", "kwargs", "says"),
    [
        ("approve", {}, "decision"),
        ("reject", {"comment": "  "}, "comment"),
        ("fix", {}, "regions"),
        ("fix", {"regions": [{"type": "class", "label": "meh"}]}, "not in the schema"),
    ],
)
def test_bad_reviews_are_refused(
    workspace: Workspace, decision: str, kwargs: dict, says: str
) -> None:
    pid, _ = _setup(workspace)
    ann = member(workspace, pid, "ann", "annotator")
    work = _label(workspace, pid, ann, "pos")
    with pytest.raises(InvalidInput, match=says):
        review.review_annotation(workspace, work.id, decision, **kwargs)


def test_annotators_cannot_review(workspace: Workspace) -> None:
    pid, _ = _setup(workspace)
    ann = member(workspace, pid, "ann", "annotator")
    work = _label(workspace, pid, ann, "pos")
    with pytest.raises(PermissionDenied):
        review.review_annotation(workspace, work.id, "accept", actor=ann)


def test_disagreement_policy_shows_only_items_people_disagree_on(
    workspace: Workspace,
) -> None:
    pid, ids = _setup(workspace, overlap=2, review_policy="disagreements")
    a, b = (
        member(workspace, pid, "a", "annotator"),
        member(workspace, pid, "b", "annotator"),
    )
    for label_a, label_b in (("pos", "pos"), ("pos", "neg")):
        _label(workspace, pid, a, label_a)
        _label(workspace, pid, b, label_b)

    waiting = review.review_queue(workspace, pid)
    assert {w.item_id for w in waiting} == {ids[1]}
    assert len(waiting) == 2


def test_sample_policy_is_a_stable_share(workspace: Workspace) -> None:
    project = projects.create_project(
        workspace,
        "S",
        "text",
        label_schema=SCHEMA,
        settings={"review_policy": "sample", "review_sample_rate": 0.3},
    )
    ids = add_texts(workspace, project.id, [f"t{n}" for n in range(200)])
    for item_id in ids:
        annotations.create_annotation(
            workspace, item_id, [{"type": "class", "label": "pos"}]
        )
    # Annotations by the CLI have no user: they are origin human with no author id.
    first = review.review_queue(workspace, project.id, limit=1000)
    second = review.review_queue(workspace, project.id, limit=1000)
    assert [a.id for a in first] == [a.id for a in second]
    assert 40 <= len(first) <= 80


def _history(ws: Workspace) -> tuple[int, dict[str, int]]:
    """A project whose log holds real actions by three people; their ids."""
    pid, ids = _setup(ws)
    ann = member(ws, pid, "ann", "annotator")
    rev = member(ws, pid, "rev", "reviewer")
    mia = member(ws, pid, "mia", "manager")
    first, second = _label(ws, pid, ann, "pos"), _label(ws, pid, ann, "pos")
    review.review_annotation(ws, first.id, "accept", actor=rev)
    review.review_annotation(ws, second.id, "reject", actor=rev, comment="negative")
    items.update_item(ws, ids[2], actor=mia, excluded=True, exclude_reason="blurry")
    schema = {"labels": [{"name": "pos"}, {"name": "neg"}, {"name": "mixed"}]}
    projects.add_guideline(ws, pid, text="Tone.", label_schema=schema, actor=mia)
    # Another project's events must never show in this one's log.
    other, _ = _setup(ws, name="Q")
    _label(ws, other, member(ws, other, "zed", "annotator"), "neg")
    return pid, {"first": first.id, "second": second.id, "meh": ids[2]}


def _rows(events: list[dict]) -> list[tuple]:
    return [(e["action"], e["user"], e["target"]) for e in events]


def test_audit_log_names_who_did_what_newest_first(workspace: Workspace) -> None:
    pid, ids = _history(workspace)

    log = review.audit_log(workspace, pid)

    assert _rows(log) == [
        ("guideline.create", "mia", None),
        ("item.update", "mia", str(ids["meh"])),
        ("review.reject", "rev", str(ids["second"])),
        ("review.accept", "rev", str(ids["first"])),
        ("annotation.create", "ann", str(ids["second"])),
        ("annotation.create", "ann", str(ids["first"])),
        ("import.batch", None, None),
        ("project.create", None, "P"),
    ]
    assert [e["id"] for e in log] == sorted((e["id"] for e in log), reverse=True)
    assert log[0]["data"] == {"version": 2}
    assert log[1]["data"] == {"excluded": True, "exclude_reason": "blurry"}
    assert log[2]["data"]["comment"] == "negative"
    # Aware UTC times on both backends (SQLite hands back naive ones).
    assert {e["at"].utcoffset() for e in log} == {timedelta(0)}
    assert review.audit_actions(workspace, pid) == [
        "annotation.create",
        "guideline.create",
        "import.batch",
        "item.update",
        "project.create",
        "review.accept",
        "review.reject",
    ]


def test_audit_log_pages_back_with_before(workspace: Workspace) -> None:
    pid, _ = _history(workspace)
    everything = review.audit_log(workspace, pid)

    pages, before = [], None
    while page := review.audit_log(workspace, pid, limit=3, before=before):
        pages.append(page)
        before = page[-1]["id"]

    assert [len(p) for p in pages] == [3, 3, 2]
    assert [e["id"] for p in pages for e in p] == [e["id"] for e in everything]
    newest = everything[0]["id"]
    assert review.audit_log(workspace, pid, before=newest + 1000) == everything
    assert review.audit_log(workspace, pid, before=everything[-1]["id"]) == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"action": "review.reject"}, [("review.reject", "rev", "second")]),
        (
            {"user": "rev"},
            [("review.reject", "rev", "second"), ("review.accept", "rev", "first")],
        ),
        (
            {"user": "ann", "action": "annotation.create"},
            [("annotation.create", "ann", "second")],
        ),
        ({"user": "mia", "action": "review.accept"}, []),
        ({"user": "nobody"}, []),
        ({"user": "zed"}, []),
        ({"action": "review"}, []),
    ],
)
def test_audit_log_filters_by_action_and_user(
    workspace: Workspace, filters: dict, expected: list[tuple]
) -> None:
    pid, ids = _history(workspace)
    limit = 1 if filters.get("user") == "ann" else 200

    events = review.audit_log(workspace, pid, limit=limit, **filters)

    assert _rows(events) == [(a, u, str(ids[t])) for a, u, t in expected]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"before": 0}, "before"), ({"before": -5}, "before"), ({"limit": 0}, "limit")],
)
def test_audit_log_refuses_bad_paging(
    workspace: Workspace, kwargs: dict, field: str
) -> None:
    pid, _ = _setup(workspace)
    with pytest.raises(InvalidInput, match=field) as refused:
        review.audit_log(workspace, pid, **kwargs)
    assert refused.value.details["field"] == field


def test_only_managers_read_the_audit_log(workspace: Workspace) -> None:
    pid, _ = _setup(workspace)
    rev = member(workspace, pid, "rev", "reviewer")
    with pytest.raises(PermissionDenied):
        review.audit_log(workspace, pid, actor=rev)
    with pytest.raises(PermissionDenied):
        review.audit_actions(workspace, pid, actor=rev)
    mia = member(workspace, pid, "mia", "manager")
    assert _rows(review.audit_log(workspace, pid, actor=mia, limit=1)) == [
        ("import.batch", None, None)
    ]
