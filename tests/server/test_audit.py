"""The audit log over HTTP: paging back, filters, the action list, who may read it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from annotary.services import projects
from tests.server.test_quality_fixes import people, submit
from tests.services.helpers import add_texts

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}]}


@pytest.fixture
def logged(live: Any) -> Iterator[dict[str, Any]]:
    """Real actions over HTTP by an annotator, a reviewer and a manager."""
    project = projects.create_project(live.workspace, "A", "text", label_schema=SCHEMA)
    good, bad = add_texts(live.workspace, project.id, ["good", "bad"])
    http = people(
        live, project.id, ("ann", "annotator"), ("rev", "reviewer"), ("mia", "manager")
    )
    try:
        work = submit(http["ann"], project.id, [{"type": "class", "label": "neg"}])
        done = [
            http["rev"].post(
                f"/api/v1/annotations/{work['id']}/review",
                json={"decision": "reject", "comment": "it is positive"},
            ),
            http["mia"].patch(
                f"/api/v1/items/{bad}",
                json={"excluded": True, "exclude_reason": "spam"},
            ),
            http["mia"].put(
                f"/api/v1/projects/{project.id}/gold",
                json={"answers": {str(good): [{"type": "class", "label": "pos"}]}},
            ),
        ]
        assert [r.status_code for r in done] == [200, 200, 200]
        yield {
            "pid": project.id,
            "http": http,
            "work": work["id"],
            "good": good,
            "bad": bad,
        }
    finally:
        for client in http.values():
            client.close()


def _rows(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["action"], e["user"], e["target"]) for e in events]


def test_pages_back_with_before(logged: Any) -> None:
    mia, pid = logged["http"]["mia"], logged["pid"]
    url = f"/api/v1/projects/{pid}/audit"

    first = mia.get(url, params={"limit": 2}).json()
    second = mia.get(url, params={"limit": 2, "before": first[-1]["id"]}).json()
    third = mia.get(url, params={"limit": 2, "before": second[-1]["id"]}).json()
    last = mia.get(url, params={"limit": 2, "before": third[-1]["id"]}).json()

    assert _rows(first + second + third) == [
        ("gold.set", "mia", str(logged["good"])),
        ("item.update", "mia", str(logged["bad"])),
        ("review.reject", "rev", str(logged["work"])),
        ("annotation.create", "ann", str(logged["work"])),
        ("import.batch", None, None),
        ("project.create", None, "A"),
    ]
    assert last == []
    assert set(first[0]) == {"id", "action", "target", "user", "data", "at"}
    assert first[1]["data"] == {"excluded": True, "exclude_reason": "spam"}
    assert datetime.fromisoformat(first[0]["at"]).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "review.reject"}, [("review.reject", "rev", "work")]),
        ({"user": "mia"}, [("gold.set", "mia", "good"), ("item.update", "mia", "bad")]),
        ({"user": "mia", "action": "item.update"}, [("item.update", "mia", "bad")]),
        ({"user": "mia", "limit": 1}, [("gold.set", "mia", "good")]),
        ({"user": "nobody"}, []),
        ({"action": "no.such"}, []),
    ],
)
def test_filters_by_action_and_user(
    logged: Any, params: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    got = logged["http"]["mia"].get(
        f"/api/v1/projects/{logged['pid']}/audit", params=params
    )
    assert got.status_code == 200, got.text
    assert _rows(got.json()) == [(a, u, str(logged[t])) for a, u, t in expected]


def test_lists_the_actions_present(logged: Any) -> None:
    got = logged["http"]["mia"].get(f"/api/v1/projects/{logged['pid']}/audit/actions")
    assert got.json() == [
        "annotation.create",
        "gold.set",
        "import.batch",
        "item.update",
        "project.create",
        "review.reject",
    ]


@pytest.mark.parametrize("who", ["ann", "rev"])
@pytest.mark.parametrize("path", ["audit", "audit/actions"])
def test_annotators_and_reviewers_get_403(logged: Any, who: str, path: str) -> None:
    got = logged["http"][who].get(f"/api/v1/projects/{logged['pid']}/{path}")
    assert got.status_code == 403
    assert got.json()["code"] == "annotary.forbidden"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"before": 0}, "query.before: Input should be greater than or equal to 1"),
        ({"before": "x"}, "query.before: Input should be a valid integer"),
        ({"limit": 0}, "query.limit: Input should be greater than or equal to 1"),
        ({"action": ""}, "query.action: String should have at least 1 character"),
        ({"user": ""}, "query.user: String should have at least 1 character"),
    ],
)
def test_bad_paging_and_filters_are_422(
    logged: Any, params: dict[str, Any], says: str
) -> None:
    got = logged["http"]["mia"].get(
        f"/api/v1/projects/{logged['pid']}/audit", params=params
    )
    assert got.status_code == 422
    assert got.json()["message"].startswith(says)
