"""Pre-label jobs, assistance and the learning curve over HTTP, through the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from annotary.client.sdk import Client
from annotary.errors import InvalidInput, NotFound, PermissionDenied
from annotary.jobs import list_jobs, run_next
from annotary.services import annotations, projects, users
from tests.services.helpers import add_texts

TEXTS = ["Paris in May", "Ada wrote code", "nothing", "Oslo and Ada"]


@dataclass
class Setup:
    live: Any
    pid: int
    ids: list[int]
    manager: Client
    annotator: Client


@pytest.fixture
def setup(live_sqlite: Any) -> Iterator[Setup]:
    ws = live_sqlite.workspace
    project = projects.create_project(
        ws,
        "Places",
        "text",
        label_schema={
            "labels": [
                {"name": "city", "examples": ["Paris", "Oslo"]},
                {"name": "name", "examples": ["Ada"]},
            ],
            "tools": ["span", "class"],
        },
    )
    ids = add_texts(ws, project.id, TEXTS)
    clients = {}
    for name, role in [("mia", "manager"), ("ann", "annotator")]:
        user = users.create_user(ws, name, None)
        users.set_role(ws, project.id, user.id, role)
        clients[name] = Client(live_sqlite.url, users.create_token(ws, user))
    yield Setup(live_sqlite, project.id, ids, clients["mia"], clients["ann"])
    for client in clients.values():
        client.close()


def test_prelabel_job_runs_and_reports_its_result(setup: Setup) -> None:
    job = setup.manager.prelabel(setup.pid, "rule-patterns.v1", batch_size=2)
    assert (job["kind"], job["state"], job["project_id"]) == (
        "prelabel",
        "queued",
        setup.pid,
    )

    assert run_next(setup.live.workspace.db) == job["id"]

    done = setup.manager.job(job["id"])
    assert done["state"] == "done", done["error"]
    assert (done["progress"], done["total"]) == (4, 4)
    assert done["result"]["predictions"] == 3
    assert done["result"]["labels"] == {"city": 2, "name": 2}
    assert "params" not in done
    (suggestion,) = setup.manager.annotations(setup.ids[3])
    assert (suggestion.origin, suggestion.state) == ("model", "draft")
    assert [(r.label, r.score) for r in suggestion.regions] == [
        ("city", 1.0),
        ("name", 1.0),
    ]


def test_filters_reach_the_service_and_cancel_stops_a_queued_job(
    setup: Setup,
) -> None:
    job = setup.manager.prelabel(
        setup.pid, "rule-patterns.v1", filters={"q": "ada"}, options={"score": 0.5}
    )
    cancelled = setup.manager.cancel_job(job["id"])
    assert cancelled["state"] == "cancelled"
    assert run_next(setup.live.workspace.db) is None

    second = setup.manager.prelabel(setup.pid, "rule-patterns.v1", filters={"q": "ada"})
    run_next(setup.live.workspace.db)
    assert setup.manager.job(second["id"])["result"]["items"] == 2


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.annotator.prelabel(s.pid, "rule-patterns.v1"), PermissionDenied),
        (lambda s: s.manager.prelabel(s.pid, "no-such.v1"), NotFound),
        (lambda s: s.manager.prelabel(s.pid, "rule-patterns.v1", batch_size=0), None),
        (lambda s: s.annotator.assistance(s.pid), PermissionDenied),
        (lambda s: s.manager.job(999), NotFound),
    ],
)
def test_refusals(setup: Setup, call: Any, error: type[Exception] | None) -> None:
    with pytest.raises(error or InvalidInput):
        call(setup)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"item_ids": [999_999]}, "item_ids", "no item 999999 in project 'Places'"),
        ({"item_ids": []}, "item_ids", "nothing to pre-label"),
        ({"filters": {"bogus": 1}}, "filters", "unknown item filter ['bogus']"),
        ({"filters": {"q": "Berlin"}}, "filters", "nothing to pre-label"),
        ({"model": "opencv-faces.v1"}, "model", "reads image items"),
        ({"model": "http.v1"}, "options", "it needs url"),
    ],
)
def test_a_request_that_cannot_run_is_a_422_naming_the_field(
    setup: Setup, body: dict[str, Any], field: str, message: str
) -> None:
    got = setup.manager._http.post(
        f"/projects/{setup.pid}/prelabel", json={"model": "rule-patterns.v1", **body}
    )

    assert got.status_code == 422, got.text
    assert got.json()["details"]["field"] == field
    assert message in got.json()["message"]
    assert list_jobs(setup.live.workspace.db, setup.pid) == []


def test_annotators_cannot_watch_jobs(setup: Setup) -> None:
    job = setup.manager.prelabel(setup.pid, "rule-patterns.v1")
    with pytest.raises(PermissionDenied):
        setup.annotator.job(job["id"])
    with pytest.raises(PermissionDenied):
        setup.annotator.cancel_job(job["id"])


def test_retrain_job_feeds_the_learning_curve_and_assistance(setup: Setup) -> None:
    ws = setup.live.workspace
    for item_id, label in zip(setup.ids, ["city", "name", "city", "name"], strict=True):
        annotations.create_annotation(ws, item_id, [{"type": "class", "label": label}])

    job = setup.manager.retrain(setup.pid, options={"min_examples": 2})
    run_next(ws.db)
    result = setup.manager.job(job["id"])
    assert result["state"] == "done", result["error"]

    curve = setup.manager.learning_curve(setup.pid)
    assert [p["model_version"] for p in curve] == [result["result"]["model_version"]]
    assert curve[0]["labelled"] == 4
    report = setup.manager.assistance(setup.pid)
    assert report["models"] == [] and report["unassisted_items"] == 4


def test_the_model_list_filters_by_kind(setup: Setup) -> None:
    image = [m["name"] for m in setup.annotator.prelabelers("image")]
    every = [m["name"] for m in setup.manager.prelabelers()]

    assert "opencv-faces.v1" in image and "sklearn-text.v1" not in image
    assert set(image) < set(every) and "sklearn-text.v1" in every
    assert every == sorted(every)


def test_submits_over_http_queue_a_retrain_every_n(setup: Setup) -> None:
    ws = setup.live.workspace
    updated = setup.manager.update_project(setup.pid, settings={"retrain_every": 2})
    assert updated.settings.retrain_every == 2

    def retrains() -> list[dict[str, Any]]:
        return [j for j in list_jobs(ws.db, setup.pid) if j["kind"] == "retrain"]

    setup.manager.submit(setup.ids[0], [{"type": "class", "label": "city"}])
    assert retrains() == []
    setup.manager.submit(setup.ids[1], [{"type": "class", "label": "name"}])
    (job,) = retrains()
    assert (job["state"], job["params"]["labelled_at"]) == ("queued", 2)
    setup.manager.submit(setup.ids[2], [{"type": "class", "label": "city"}])
    setup.manager.submit(setup.ids[3], [{"type": "class", "label": "name"}])
    assert len(retrains()) == 1
