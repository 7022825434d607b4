"""The Python SDK against a real server on 127.0.0.1, and its error mapping."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import annotary
import annotary.plugins
from annotary import errors
from annotary.client import Client
from annotary.client.sdk import raise_for_error
from annotary.core import Annotation, BBox, ClassRegion, ImportReport, Item, Project
from annotary.services import users


@pytest.fixture
def client(live: Any) -> Iterator[Client]:
    user = users.create_user(live.workspace, "root", None, is_admin=True)
    with Client(live.url, users.create_token(live.workspace, user)) as sdk:
        yield sdk


def test_import_annotary_stays_light() -> None:
    code = (
        "import sys, annotary; print('httpx' in sys.modules, 'fastapi' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]
    assert annotary.Client is Client


def test_projects_items_queue_and_annotations(client: Client, tmp_path: Path) -> None:
    project = client.create_project(
        "sdk", "text", label_schema={"labels": [{"name": "pos"}, {"name": "neg"}]}
    )
    assert isinstance(project, Project)
    assert project.label_schema.names == ["pos", "neg"]
    source = tmp_path / "rows.txt"
    source.write_text("".join(f"row {i}\n" for i in range(7)), encoding="utf-8")

    report = client.import_files(project.id, [source])
    assert isinstance(report, ImportReport)
    assert (report.added, report.duplicates, report.rejected) == (7, 0, [])
    items = list(client.items(project.id, page_size=3))
    assert [i.text for i in items] == [f"row {i}" for i in range(7)]
    assert all(isinstance(i, Item) for i in items)
    assert [i.text for i in client.items(project.id, q="row 6")] == ["row 6"]

    item = client.next_item(project.id)
    assert item is not None and item.id == items[0].id
    made = client.submit(item.id, [ClassRegion(label="pos")], lead_time=2.5)
    assert isinstance(made, Annotation)
    assert made.regions[0].label == "pos"
    assert (made.version, made.lead_time, made.author) == (1, 2.5, "root")
    changed = client.update_annotation(
        made.id or 0, version=1, regions=[ClassRegion(label="neg")]
    )
    assert changed.version == 2

    with pytest.raises(errors.StaleVersion) as stale:
        client.update_annotation(made.id or 0, version=1, regions=[])
    assert stale.value.details["current"]["version"] == 2
    assert stale.value.code == "annotary.conflict.stale"
    assert client.project_counts(project.id)["done"] == 1
    assert [a.id for a in client.annotations(item.id)] == [made.id]


def test_queue_runs_dry(client: Client) -> None:
    project = client.create_project("empty", "text")
    assert client.next_item(project.id) is None


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.project(999), errors.NotFound),
        (lambda c: c.create_project("x", "smell"), errors.InvalidInput),
        (lambda c: c.item(123456), errors.NotFound),
        (lambda c: c.create_annotation(1, [BBox(x=0, y=0, w=1, h=1)]), errors.NotFound),
        (lambda c: c.import_files(1, ["/no/such/file"]), errors.InvalidInput),
    ],
)
def test_errors_come_back_typed(client: Client, call: Any, error: type) -> None:
    with pytest.raises(error):
        call(client)


def test_bad_token_is_not_authenticated(live: Any) -> None:
    with Client(live.url, "ann_wrong") as sdk, pytest.raises(errors.NotAuthenticated):
        sdk.projects()
    with Client(live.url) as sdk:
        assert sdk.health()["status"] == "ok"


def test_duplicate_project_is_a_conflict(client: Client) -> None:
    client.create_project("same", "text")
    with pytest.raises(errors.Conflict, match="exists"):
        client.create_project("same", "text")


@pytest.mark.parametrize(
    ("status", "body", "error", "details"),
    [
        (
            409,
            {
                "code": "annotary.conflict.stale",
                "message": "m",
                "details": {"current": {"version": 3}},
            },
            errors.StaleVersion,
            {"current": {"version": 3}},
        ),
        (
            422,
            {"code": "annotary.invalid.schema", "message": "m", "details": {}},
            errors.SchemaError,
            {},
        ),
        (
            401,
            {"code": "annotary.unauthenticated", "message": "m", "details": {}},
            errors.NotAuthenticated,
            {},
        ),
        (413, b"<html>too big</html>", errors.LimitExceeded, {}),
        (503, {"unexpected": True}, errors.Unavailable, {}),
        (500, b"boom", errors.AnnotaryError, {}),
        (404, {"code": "somebody.else", "message": "gone"}, errors.NotFound, {}),
    ],
)
def test_raise_for_error_table(
    status: int, body: Any, error: type, details: dict[str, Any]
) -> None:
    content = body if isinstance(body, bytes) else None
    response = httpx.Response(status, content=content, json=None if content else body)
    with pytest.raises(error) as raised:
        raise_for_error(response)
    assert type(raised.value) is error
    assert raised.value.details == details


def test_success_raises_nothing() -> None:
    raise_for_error(httpx.Response(204))
    raise_for_error(httpx.Response(200, json={"x": 1}))


def test_image_upload_and_media_bytes(client: Client, tmp_path: Path) -> None:
    from PIL import Image

    picture = tmp_path / "photos" / "dot.png"
    picture.parent.mkdir()
    Image.new("RGB", (3, 2), (0, 0, 255)).save(picture)
    project = client.create_project("pics", "image")
    report = client.import_files(project.id, [picture.parent])  # a folder is walked
    assert report.added == 1
    (item,) = list(client.items(project.id))
    assert (item.width, item.height) == (3, 2)
    assert client.media(item.id) == picture.read_bytes()


@pytest.mark.skipif(
    "jsonl.v1" not in annotary.plugins.formats.names(),
    reason="the jsonl format is not merged into this branch yet",
)
def test_export_to_a_folder(client: Client, tmp_path: Path) -> None:
    project = client.create_project("out", "text")
    source = tmp_path / "rows.txt"
    source.write_text("a\nb\n", encoding="utf-8")
    client.import_files(project.id, [source])
    written = client.export(project.id, "jsonl", tmp_path)
    assert written.parent == tmp_path
    assert written.name.startswith("out-jsonl")
    assert len(written.read_text(encoding="utf-8").splitlines()) >= 2


def test_audit_log_pages_and_filters(client: Client) -> None:
    project = client.create_project("audited", "text")
    client.update_project(project.id, description="first")
    client.update_project(project.id, description="second")
    client.add_guideline(project.id, "Be kind.")

    newest = client.audit_log(project.id, limit=2)
    older = client.audit_log(project.id, limit=2, before=newest[-1]["id"])
    updates = client.audit_log(project.id, action="project.update", user="root")

    assert [(e["action"], e["user"]) for e in newest + older] == [
        ("guideline.create", "root"),
        ("project.update", "root"),
        ("project.update", "root"),
        ("project.create", "root"),
    ]
    assert [e["data"]["description"] for e in updates] == ["second", "first"]
    assert client.audit_log(project.id, user="nobody") == []
    assert client.audit_actions(project.id) == [
        "guideline.create",
        "project.create",
        "project.update",
    ]
    with pytest.raises(errors.InvalidInput, match="before"):
        client.audit_log(project.id, before=0)
