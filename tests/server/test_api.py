"""Projects, items, annotations and the queue over HTTP, on both backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from annotary.core.models import ImportReport, ItemDraft
from annotary.services import projects, users
from annotary.services.imports import import_drafts

POS = [{"type": "class", "label": "pos"}]
NEG = [{"type": "class", "label": "neg"}]


@dataclass
class Team:
    pid: int
    manager: httpx.Client
    reviewer: httpx.Client
    annotator: httpx.Client
    other: httpx.Client  # a second annotator
    ids: list[int]


def add_texts(ws: Any, pid: int, texts: list[str]) -> None:
    drafts = [
        ItemDraft(text=text, content_hash=f"h{n}-{text}", source="test")
        for n, text in enumerate(texts)
    ]
    import_drafts(ws, pid, drafts, report=ImportReport(project="p"))


@pytest.fixture
def team(live: Any) -> Any:
    ws = live.workspace
    project = projects.create_project(
        ws,
        "sentiment",
        "text",
        label_schema={"labels": [{"name": "pos"}, {"name": "neg"}]},
    )
    add_texts(ws, project.id, [f"text {i}" for i in range(5)])
    clients = {}
    for role, name in [
        ("manager", "mia"),
        ("reviewer", "rob"),
        ("annotator", "ann"),
        ("annotator", "otto"),
    ]:
        user = users.create_user(ws, name, None)
        users.set_role(ws, project.id, user.id, role)
        clients[name] = live.client(users.create_token(ws, user))
    ids = [
        row["id"]
        for row in clients["mia"]
        .get(f"/api/v1/projects/{project.id}/items")
        .json()["items"]
    ]
    yield Team(
        project.id,
        clients["mia"],
        clients["rob"],
        clients["ann"],
        clients["otto"],
        ids,
    )
    for client in clients.values():
        client.close()


def next_item(client: httpx.Client, pid: int) -> dict[str, Any]:
    got = client.post(f"/api/v1/projects/{pid}/queue/next")
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def test_stale_update_gets_409_with_the_current_version(team: Team) -> None:
    item = next_item(team.annotator, team.pid)["item"]
    made = team.annotator.post(
        f"/api/v1/items/{item['id']}/annotations", json={"regions": POS}
    ).json()
    assert made["version"] == 1

    first = team.annotator.put(
        f"/api/v1/annotations/{made['id']}", json={"version": 1, "regions": NEG}
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2

    stale = team.manager.put(
        f"/api/v1/annotations/{made['id']}", json={"version": 1, "regions": POS}
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "annotary.conflict.stale"
    assert body["details"]["current"]["version"] == 2
    assert body["details"]["current"]["regions"][0]["label"] == "neg"

    kept = team.manager.get(f"/api/v1/annotations/{made['id']}").json()
    assert kept["regions"][0]["label"] == "neg"  # never silently overwritten
    gone = team.annotator.delete(f"/api/v1/annotations/{made['id']}?version=1")
    assert gone.status_code == 409
    assert (
        team.annotator.delete(f"/api/v1/annotations/{made['id']}?version=2").status_code
        == 204
    )


def test_annotator_sees_only_queue_given_items(team: Team) -> None:
    given = next_item(team.annotator, team.pid)["item"]["id"]
    page = team.annotator.get(f"/api/v1/projects/{team.pid}/items").json()
    assert [row["id"] for row in page["items"]] == [given]
    assert page["total"] == 1
    others = [i for i in team.ids if i != given]
    for item_id in others:
        got = team.annotator.get(f"/api/v1/items/{item_id}")
        assert got.status_code == 403
        assert got.json()["code"] == "annotary.forbidden"
    full = team.manager.get(f"/api/v1/projects/{team.pid}/items").json()
    assert full["total"] == 5


@pytest.mark.parametrize("show_others", [False, True])
def test_annotator_sees_others_annotations_only_if_allowed(
    team: Team, show_others: bool
) -> None:
    settings = {"overlap": 2, "show_others_annotations": show_others}
    assert (
        team.manager.patch(
            f"/api/v1/projects/{team.pid}", json={"settings": settings}
        ).status_code
        == 200
    )
    item = next_item(team.annotator, team.pid)["item"]["id"]
    assert next_item(team.other, team.pid)["item"]["id"] == item  # overlap 2
    mine = team.annotator.post(
        f"/api/v1/items/{item}/annotations", json={"regions": POS}
    ).json()
    theirs = team.other.post(
        f"/api/v1/items/{item}/annotations", json={"regions": NEG}
    ).json()

    seen = team.annotator.get(f"/api/v1/items/{item}/annotations").json()
    expected = [mine["id"], theirs["id"]] if show_others else [mine["id"]]
    assert [a["id"] for a in seen] == expected
    direct = team.annotator.get(f"/api/v1/annotations/{theirs['id']}")
    assert direct.status_code == (200 if show_others else 403)
    everything = team.reviewer.get(f"/api/v1/items/{item}/annotations").json()
    assert [a["id"] for a in everything] == [mine["id"], theirs["id"]]
    changed = team.annotator.put(
        f"/api/v1/annotations/{theirs['id']}", json={"version": 1, "regions": POS}
    )
    assert changed.status_code == 403


def test_queue_next_skip_release_and_draft(team: Team) -> None:
    first = next_item(team.annotator, team.pid)
    assert first["annotation_draft"] is None
    item = first["item"]["id"]
    draft = team.annotator.post(
        f"/api/v1/items/{item}/annotations", json={"regions": POS, "state": "draft"}
    ).json()
    again = next_item(team.annotator, team.pid)  # the lease is still theirs
    assert again["item"]["id"] == item
    assert again["annotation_draft"]["id"] == draft["id"]

    assert (
        team.annotator.post(
            f"/api/v1/projects/{team.pid}/queue/{item}/skip"
        ).status_code
        == 204
    )
    seen = {item}
    while True:
        got = team.annotator.post(f"/api/v1/projects/{team.pid}/queue/next")
        if got.status_code == 204:
            break
        nxt = got.json()["item"]["id"]
        assert nxt not in seen  # a skipped item never comes back to them
        seen.add(nxt)
        team.annotator.post(f"/api/v1/items/{nxt}/annotations", json={"regions": NEG})
    assert seen == set(team.ids)
    assert got.content == b""
    release = team.annotator.post(f"/api/v1/projects/{team.pid}/queue/{item}/release")
    assert release.status_code == 404  # no lease left to release


def test_items_pages_filters_and_search(live: Any, team: Team) -> None:
    add_texts(live.workspace, team.pid, [f"Zebra {i}" for i in range(120)])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 50}
        if cursor:
            params["cursor"] = cursor
        page = team.manager.get(
            f"/api/v1/projects/{team.pid}/items", params=params
        ).json()
        assert page["total"] == 125
        seen += [row["id"] for row in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(set(seen)) and len(seen) == 125

    found = team.manager.get(
        f"/api/v1/projects/{team.pid}/items", params={"q": "zebra 11"}
    ).json()
    assert sorted(row["text"] for row in found["items"]) == [
        "Zebra 11",
        "Zebra 110",
        "Zebra 111",
        "Zebra 112",
        "Zebra 113",
        "Zebra 114",
        "Zebra 115",
        "Zebra 116",
        "Zebra 117",
        "Zebra 118",
        "Zebra 119",
    ]
    newest = team.manager.get(
        f"/api/v1/projects/{team.pid}/items", params={"sort": "-id", "limit": 1}
    ).json()
    assert newest["items"][0]["id"] == max(seen)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "colour"}, "sort"),
        ({"limit": 0}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "many"}, "query.limit"),
    ],
)
def test_bad_item_queries_are_422(
    team: Team, params: dict[str, Any], field: str
) -> None:
    got = team.manager.get(f"/api/v1/projects/{team.pid}/items", params=params)
    assert got.status_code == 422
    assert got.json()["code"] == "annotary.invalid"
    assert got.json()["details"]["field"] == field


def test_items_status_follows_annotations(team: Team) -> None:
    item = next_item(team.annotator, team.pid)["item"]["id"]
    team.annotator.post(f"/api/v1/items/{item}/annotations", json={"regions": POS})
    done = team.manager.get(
        f"/api/v1/projects/{team.pid}/items", params={"status": "done"}
    ).json()
    assert [row["id"] for row in done["items"]] == [item]
    assert done["items"][0]["labels"] == ["pos"]
    assert done["items"][0]["annotators"] == ["ann"]
    counts = team.manager.get(f"/api/v1/projects/{team.pid}").json()["counts"]
    assert counts == {
        "total": 5,
        "new": 4,
        "in_progress": 0,
        "done": 1,
        "reviewed": 0,
        "excluded": 0,
    }
    bulk = team.manager.post(
        f"/api/v1/projects/{team.pid}/items/bulk",
        json={"ids": team.ids[-2:], "action": "exclude"},
    )
    assert bulk.json() == {"changed": 2}
    counts = team.manager.get(f"/api/v1/projects/{team.pid}").json()["counts"]
    assert (counts["total"], counts["excluded"]) == (3, 2)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"regions": POS}, 201, None),
        ({"regions": [{"type": "class", "label": "maybe"}]}, 422, "annotary.invalid"),
        ({"regions": [{"type": "blob"}]}, 422, "annotary.invalid"),
        ({"regions": POS, "state": "accepted"}, 422, "annotary.invalid"),
        ({"regions": POS, "lead_time": -1}, 422, "annotary.invalid"),
        ({"regions": POS, "colour": "red"}, 422, "annotary.invalid"),
    ],
)
def test_create_annotation_validation(
    team: Team, body: dict[str, Any], status: int, code: str | None
) -> None:
    item = next_item(team.annotator, team.pid)["item"]["id"]
    got = team.annotator.post(f"/api/v1/items/{item}/annotations", json=body)
    assert got.status_code == status, got.text
    if code:
        assert got.json()["code"] == code
        assert got.json()["message"]


def test_projects_create_update_and_guidelines(live: Any, team: Team) -> None:
    made = team.manager.post(
        "/api/v1/projects",
        json={"name": "boxes", "kind": "image", "guideline_text": "# Boxes"},
    )
    assert made.status_code == 201
    project = made.json()
    assert project["role"] == "admin"  # its creator runs it
    assert project["label_schema"]["tools"] == ["bbox", "class"]
    clash = team.manager.post(
        "/api/v1/projects", json={"name": "boxes", "kind": "text"}
    )
    assert clash.status_code == 409
    bad_kind = team.manager.post(
        "/api/v1/projects", json={"name": "x", "kind": "smell"}
    )
    assert bad_kind.status_code == 422
    bad = team.manager.patch(
        f"/api/v1/projects/{project['id']}", json={"settings": {"overlap": 0}}
    )
    assert bad.status_code == 422
    assert bad.json()["details"]["field"] == "overlap"

    v2 = team.manager.post(
        f"/api/v1/projects/{project['id']}/guidelines",
        json={"text": "# Boxes v2", "schema": {"labels": [{"name": "cat"}]}},
    )
    assert v2.status_code == 201
    assert v2.json()["version"] == 2
    versions = team.manager.get(f"/api/v1/projects/{project['id']}/guidelines").json()
    assert [(g["version"], g["text"]) for g in versions] == [
        (1, "# Boxes"),
        (2, "# Boxes v2"),
    ]
    assert versions[1]["schema"]["labels"][0]["name"] == "cat"
    assert versions[1]["created_by"] == "mia"
    shown = team.manager.get(f"/api/v1/projects/{project['id']}").json()
    assert shown["guideline_version"] == 2
    names = [p["name"] for p in team.manager.get("/api/v1/projects").json()]
    assert names == ["sentiment", "boxes"]


def test_members(team: Team, live: Any) -> None:
    newcomer = users.create_user(live.workspace, "nina", None)
    url = f"/api/v1/projects/{team.pid}/members"
    put = team.manager.put(f"{url}/{newcomer.id}", json={"role": "reviewer"})
    assert put.json() == {
        "user_id": newcomer.id,
        "username": "nina",
        "role": "reviewer",
    }
    roles = {m["username"]: m["role"] for m in team.manager.get(url).json()}
    assert roles == {
        "ann": "annotator",
        "mia": "manager",
        "nina": "reviewer",
        "otto": "annotator",
        "rob": "reviewer",
    }
    assert (
        team.manager.put(f"{url}/{newcomer.id}", json={"role": "boss"}).status_code
        == 422
    )
    assert (
        team.manager.put(f"{url}/99999", json={"role": "annotator"}).status_code == 404
    )
    assert team.manager.delete(f"{url}/{newcomer.id}").status_code == 204
    assert team.manager.delete(f"{url}/{newcomer.id}").status_code == 404
