"""Integers past what the database holds: 404 or 422, never a 500.

The routes come from the app's own OpenAPI document, so a new route with an
integer in its path or query is covered without touching this file.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from annotary.core.ids import MAX_ID, parse_id
from annotary.server import create_app
from annotary.services import projects, users

HUGE = "99999999999999999999"  # past 2**64
MAX = str(MAX_ID)


@functools.cache
def _openapi() -> dict[str, Any]:
    from annotary.services.workspace import Workspace

    # The document needs no database; a bare object stands in for a workspace.
    fake = Workspace.__new__(Workspace)
    fake.settings = type("S", (), {"max_upload_mb": 1})()  # type: ignore[assignment]
    schema: dict[str, Any] = create_app(fake).openapi()
    return schema


def _integer_params() -> list[tuple[str, str, str, str]]:
    """(method, path, name, where) for every integer path or query parameter."""
    found = []
    for path, operations in _openapi()["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if '"integer"' in json.dumps(param["schema"]):
                    found.append((method, path, param["name"], param["in"]))
    return found


PARAMS = _integer_params()


def test_the_route_list_is_not_empty() -> None:
    names = {(path, name) for _m, path, name, _w in PARAMS}
    assert ("/api/v1/snapshots/{sid}/diff/{other}", "other") in names
    assert ("/api/v1/projects/{pid}/quality", "guideline_version") in names
    assert len(PARAMS) > 60


@pytest.mark.parametrize(("method", "path", "name", "where"), PARAMS)
def test_every_integer_parameter_has_bounds(
    method: str, path: str, name: str, where: str
) -> None:
    operation = _openapi()["paths"][path][method]
    param = next(p for p in operation["parameters"] if p["name"] == name)
    text = json.dumps(param["schema"])
    assert '"maximum"' in text, f"{method} {path}: {name} has no upper bound"
    assert '"minimum"' in text, f"{method} {path}: {name} has no lower bound"


@pytest.fixture
def admin(live: Any) -> Any:
    ws = live.workspace
    root = users.create_user(ws, "root", None, is_admin=True)
    project = projects.create_project(ws, "p", "text")
    with live.client(users.create_token(ws, root)) as client:
        yield client, project.id


def _url(path: str, name: str, where: str, value: str, pid: int) -> str:
    filled = path
    for part in ("pid", "iid", "aid", "uid", "sid", "other", "job_id"):
        filled = filled.replace(f"{{{part}}}", HUGE if part == name else str(pid))
    assert "{" not in filled, filled
    if where == "query":
        filled += f"?{name}={value}"
    return filled


@pytest.mark.parametrize("value", [HUGE, "-1"])
def test_no_integer_parameter_gives_500(admin: Any, value: str) -> None:
    client, pid = admin
    for method, path, name, where in PARAMS:
        url = _url(path, name, where, value, pid)
        if where == "path":
            url = url.replace(HUGE, value)
        got = client.request(method.upper(), url, json={})
        assert got.status_code in (404, 422), (method, url, got.text)
        body = got.json()
        assert body["code"] in ("annotary.not_found", "annotary.invalid"), body
        if got.status_code == 422:
            # Refused at the edge, naming the parameter.
            assert [where, name] in [e["loc"] for e in body["details"]["errors"]]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/snapshots/{HUGE}",
        f"/api/v1/snapshots/1/diff/{HUGE}",
        f"/api/v1/snapshots/{HUGE}/download",
        f"/api/v1/snapshots/{HUGE}/manifest",
        f"/api/v1/jobs/{HUGE}",
        f"/api/v1/annotations/{HUGE}",
        f"/api/v1/projects/{HUGE}",
        f"/api/v1/items/{HUGE}",
        f"/api/v1/projects/{{pid}}/quality?guideline_version={HUGE}",
        f"/api/v1/projects/{{pid}}/quality?guideline_version={2**31}",
        f"/api/v1/projects/{{pid}}/items?annotator={HUGE}",
        "/api/v1/projects/{pid}/items?annotator=%C2%B2",  # a superscript two
        f"/api/v1/projects/{{pid}}/flags?offset={HUGE}",
        f"/api/v1/projects/{{pid}}/audit?before={HUGE}",
    ],
)
def test_the_reported_requests(admin: Any, url: str) -> None:
    client, pid = admin
    got = client.get(url.replace("{pid}", str(pid)))
    assert got.status_code in (404, 422), got.text


def test_the_largest_id_is_only_not_there(admin: Any) -> None:
    client, pid = admin
    got = client.get(f"/api/v1/projects/{pid}/items?annotator={MAX}")
    assert got.status_code == 200, got.text
    assert got.json()["items"] == []
    assert client.get(f"/api/v1/snapshots/{MAX}").status_code == 404
    assert client.get(f"/api/v1/projects/{MAX}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "post",
            "/api/v1/projects/{pid}/items/bulk",
            {"ids": [int(HUGE)], "action": "exclude"},
        ),
        ("post", "/api/v1/projects/{pid}/decisions", {"decisions": {HUGE: "keep"}}),
        ("put", "/api/v1/projects/{pid}/gold", {"answers": {HUGE: []}}),
        ("post", "/api/v1/projects/{pid}/splits", {"seed": int(HUGE)}),
        (
            "post",
            "/api/v1/projects/{pid}/prelabel",
            {"prelabeler": "x", "item_ids": [int(HUGE)]},
        ),
    ],
)
def test_ids_in_bodies(admin: Any, method: str, path: str, body: Any) -> None:
    client, pid = admin
    got = client.request(method.upper(), path.replace("{pid}", str(pid)), json=body)
    assert got.status_code in (404, 422), got.text


def test_the_database_net_turns_overflow_into_bad_input(workspace: Any) -> None:
    """Under the edge checks: a number the database refuses is InvalidInput."""
    from sqlalchemy import select

    from annotary.errors import InvalidInput
    from annotary.storage import tables as t

    with pytest.raises(InvalidInput, match="number"), workspace.db.read() as conn:
        conn.execute(select(t.items).where(t.items.c.id == int(HUGE))).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (MAX, MAX_ID),
        (str(MAX_ID + 1), None),
        (HUGE, None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("١٢", None),
        ("", None),
        ("x1", None),
        (5, 5),
        (0, None),
        (True, None),
    ],
)
def test_parse_id(text: Any, expected: int | None) -> None:
    assert parse_id(text) == expected
