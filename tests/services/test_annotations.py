from __future__ import annotations

import pytest

from annotary.errors import InvalidInput, PermissionDenied, StaleVersion
from annotary.services import annotations, items, projects, queue
from annotary.services.workspace import Workspace
from tests.services.helpers import add_texts, member

NER = {"labels": [{"name": "PER"}, {"name": "LOC"}], "tools": ["span"]}


def test_stale_update_is_a_conflict_never_an_overwrite(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    (item,) = add_texts(workspace, project.id, ["Ada met Bob"])
    first = annotations.create_annotation(
        workspace, item, [{"type": "span", "start": 0, "end": 3, "label": "PER"}]
    )

    second = annotations.update_annotation(
        workspace,
        first.id,
        version=1,
        regions=[{"type": "span", "start": 8, "end": 11, "label": "PER"}],
    )
    with pytest.raises(StaleVersion) as caught:
        annotations.update_annotation(workspace, first.id, version=1, regions=[])

    assert second.version == 2
    assert caught.value.details["current"]["version"] == 2
    kept = annotations.get_annotation(workspace, first.id)
    assert [(r.start, r.end) for r in kept.regions] == [(8, 11)]


@pytest.mark.parametrize(
    ("region", "says"),
    [
        ({"type": "span", "start": 0, "end": 99, "label": "PER"}, "ends past"),
        ({"type": "span", "start": 5, "end": 2, "label": "PER"}, "before start"),
        ({"type": "span", "start": 0, "end": 3, "label": "ORG"}, "'ORG' is not in"),
        (
            {"type": "span", "start": 0, "end": 3, "label": "PER", "text": "Bob"},
            "differs",
        ),
        ({"type": "blob"}, "regions\\[0\\]"),
    ],
)
def test_bad_regions_are_refused_with_the_field_named(
    workspace: Workspace, region: dict, says: str
) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    (item,) = add_texts(workspace, project.id, ["Ada met Bob"])
    with pytest.raises(InvalidInput, match=says):
        annotations.create_annotation(workspace, item, [region])


def test_offsets_are_code_points_of_text_with_emoji_and_crlf(
    workspace: Workspace,
) -> None:
    text = "  👩‍💻 Ada\r\nvisits Zürich 😀"
    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    (item,) = add_texts(workspace, project.id, [text])
    start = text.index("Zürich")
    ann = annotations.create_annotation(
        workspace,
        item,
        [
            {
                "type": "span",
                "start": start,
                "end": start + 6,
                "label": "LOC",
                "text": "Zürich",
            }
        ],
    )

    stored = items.get_item(workspace, item)
    assert stored.text == text
    assert stored.text.encode("utf-8") == text.encode("utf-8")
    assert ann.regions[0].start == 18  # 2 spaces, 3 in the ZWJ emoji, ...


def test_annotator_sees_only_queue_items_and_own_annotations(
    workspace: Workspace,
) -> None:
    project = projects.create_project(
        workspace, "P", "text", label_schema=NER, settings={"overlap": 2}
    )
    add_texts(workspace, project.id, ["a", "b", "c"])
    ann = member(workspace, project.id, "ann", "annotator")
    other = member(workspace, project.id, "other", "annotator")

    given = queue.next_item(workspace, project.id, ann)
    assert given is not None
    annotations.create_annotation(workspace, given.id, [], actor=ann)
    theirs = queue.next_item(workspace, project.id, other)
    assert theirs is not None and theirs.id == given.id
    annotations.create_annotation(workspace, theirs.id, [], actor=other)

    seen = items.list_items(workspace, project.id, actor=ann)
    assert [i["id"] for i in seen["items"]] == [given.id]
    assert [
        a.author for a in annotations.list_annotations(workspace, given.id, actor=ann)
    ] == ["ann"]
    not_given = next(
        i
        for i in items.list_items(workspace, project.id)["items"]
        if i["id"] != given.id
    )
    with pytest.raises(PermissionDenied, match="queue"):
        items.get_item(workspace, not_given["id"], actor=ann)
    mine = annotations.list_annotations(workspace, given.id, actor=ann)[0]
    with pytest.raises(PermissionDenied, match="own"):
        theirs_ann = annotations.list_annotations(workspace, given.id)[1]
        annotations.update_annotation(
            workspace, theirs_ann.id, version=1, actor=ann, regions=[]
        )
    assert mine.author == "ann"


def test_item_status_follows_overlap(workspace: Workspace) -> None:
    project = projects.create_project(
        workspace, "P", "text", label_schema=NER, settings={"overlap": 2}
    )
    (item,) = add_texts(workspace, project.id, ["x"])
    a, b = (member(workspace, project.id, n, "annotator") for n in ("a", "b"))

    statuses = []
    for user in (a, b):
        assert queue.next_item(workspace, project.id, user).id == item
        annotations.create_annotation(workspace, item, [], actor=user)
        statuses.append(items.get_item(workspace, item).status.value)

    assert statuses == ["in_progress", "done"]


@pytest.mark.parametrize(
    "region",
    [
        {"type": "bbox", "x": float("nan"), "y": 0, "w": 10, "h": 10, "label": "PER"},
        {"type": "bbox", "x": 0, "y": 0, "w": float("inf"), "h": 10, "label": "PER"},
        {"type": "bbox", "x": -100, "y": 0, "w": 1e300, "h": 10, "label": "PER"},
        {"type": "class", "label": "PER", "score": float("nan")},
    ],
)
def test_non_finite_or_absurd_numbers_are_refused(
    workspace: Workspace, region: dict
) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    (item,) = add_texts(workspace, project.id, ["Ada"])
    with pytest.raises(InvalidInput, match="regions\\[0\\]"):
        annotations.create_annotation(workspace, item, [region])


def test_one_annotation_per_person_per_item(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    add_texts(workspace, project.id, ["Ada", "Bob"])
    ann = member(workspace, project.id, "ann", "annotator")
    item = queue.next_item(workspace, project.id, ann)
    first = annotations.create_annotation(workspace, item.id, [], actor=ann)

    with pytest.raises(StaleVersion) as caught:
        annotations.create_annotation(workspace, item.id, [], actor=ann)

    assert caught.value.details["current"]["id"] == first.id
    assert len(annotations.list_annotations(workspace, item.id)) == 1


def test_skipped_items_cannot_be_submitted(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    add_texts(workspace, project.id, ["Ada"])
    ann = member(workspace, project.id, "ann", "annotator")
    item = queue.next_item(workspace, project.id, ann)
    queue.skip_item(workspace, project.id, item.id, ann)
    with pytest.raises(PermissionDenied, match="skipped"):
        annotations.create_annotation(workspace, item.id, [], actor=ann)


def test_accepted_work_is_frozen_for_its_annotator(workspace: Workspace) -> None:
    from annotary.services import review

    project = projects.create_project(workspace, "P", "text", label_schema=NER)
    add_texts(workspace, project.id, ["Ada"])
    ann = member(workspace, project.id, "ann", "annotator")
    item = queue.next_item(workspace, project.id, ann)
    work = annotations.create_annotation(workspace, item.id, [], actor=ann)
    review.review_annotation(workspace, work.id, "accept")

    with pytest.raises(PermissionDenied, match="accepted"):
        annotations.update_annotation(
            workspace, work.id, version=2, actor=ann, regions=[]
        )
    with pytest.raises(PermissionDenied, match="accepted"):
        annotations.delete_annotation(workspace, work.id, actor=ann)
