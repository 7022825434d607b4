from __future__ import annotations

import pytest

from annotary.errors import InvalidInput
from annotary.services import annotations, items, projects
from annotary.services.workspace import Workspace
from tests.services.helpers import add_texts


def test_same_content_twice_adds_nothing(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text")
    assert len(add_texts(workspace, project.id, ["a", "b"])) == 2
    assert add_texts(workspace, project.id, ["a", "b"]) == []


def test_cursor_pages_cover_every_item_once_in_both_directions(
    workspace: Workspace,
) -> None:
    project = projects.create_project(workspace, "P", "text")
    ids = add_texts(workspace, project.id, [f"t{n}" for n in range(23)])

    for sort, expected in (("id", ids), ("-id", ids[::-1])):
        seen, cursor = [], None
        while True:
            page = items.list_items(
                workspace, project.id, limit=5, cursor=cursor, sort=sort
            )
            seen += [row["id"] for row in page["items"]]
            assert page["total"] == 23
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected


def test_filters_by_status_label_search_and_split(workspace: Workspace) -> None:
    project = projects.create_project(
        workspace,
        "P",
        "text",
        label_schema={"labels": [{"name": "pos"}, {"name": "neg"}]},
    )
    ids = add_texts(workspace, project.id, ["Good film", "bad film", "Good % 100_x"])
    annotations.create_annotation(
        workspace, ids[0], [{"type": "class", "label": "pos"}]
    )
    items.update_item(workspace, ids[1], split="test")

    def found(**filters: object) -> list[int]:
        return [
            r["id"] for r in items.list_items(workspace, project.id, **filters)["items"]
        ]

    assert found(label="pos") == [ids[0]]
    assert found(status="new") == ids[1:]
    assert found(q="good") == [ids[0], ids[2]]
    assert found(q="% 1") == [ids[2]]
    assert found(q="_") == [ids[2]]
    assert found(split="test") == [ids[1]]
    assert found(split="none") == [ids[0], ids[2]]


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"sort": "colour"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"cursor": "@@"}, "cursor"),
    ],
)
def test_bad_listing_arguments_are_named(
    workspace: Workspace, kwargs: dict, says: str
) -> None:
    project = projects.create_project(workspace, "P", "text")
    with pytest.raises(InvalidInput, match=says):
        items.list_items(workspace, project.id, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"sort": "--id"}, "sort"),
        ({"cursor": "W3siYSI6MX0sMV0="}, "cursor"),  # [{"a":1},1]
    ],
)
def test_hostile_listing_arguments_are_refused(
    workspace: Workspace, kwargs: dict, says: str
) -> None:
    project = projects.create_project(workspace, "P", "text")
    with pytest.raises(InvalidInput, match=says):
        items.list_items(workspace, project.id, **kwargs)


def test_split_names_are_checked_and_huge_ids_are_not_found(
    workspace: Workspace,
) -> None:
    from annotary.errors import NotFound

    project = projects.create_project(workspace, "P", "text")
    (item,) = add_texts(workspace, project.id, ["x"])
    with pytest.raises(InvalidInput, match="split"):
        items.update_item(workspace, item, split="<script>")
    with pytest.raises(NotFound):
        items.get_item(workspace, 2**64)
