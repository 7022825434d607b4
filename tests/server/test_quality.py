"""Quality over HTTP and through the SDK: report, review, gold, consensus."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from annotary.client import Client
from annotary.services import projects, quality, users
from tests.services.helpers import add_texts

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}]}


@dataclass
class Team:
    pid: int
    items: list[int]
    tokens: dict[str, str]
    http: dict[str, httpx.Client]
    live: Any


@pytest.fixture
def team(live_sqlite: Any) -> Iterator[Team]:
    ws = live_sqlite.workspace
    project = projects.create_project(
        ws, "P", "text", label_schema=SCHEMA, settings={"overlap": 2}
    )
    items = add_texts(ws, project.id, ["good", "fine", "bad"])
    tokens = {}
    for name, role in (
        ("mia", "manager"),
        ("rob", "reviewer"),
        ("ann", "annotator"),
        ("bob", "annotator"),
    ):
        user = users.create_user(ws, name, None)
        users.set_role(ws, project.id, user.id, role)
        tokens[name] = users.create_token(ws, user)
    http = {name: live_sqlite.client(token) for name, token in tokens.items()}
    yield Team(project.id, items, tokens, http, live_sqlite)
    for client in http.values():
        client.close()


def label(team: Team, who: str, answers: list[str]) -> list[int]:
    ids = []
    for answer in answers:
        got = team.http[who].post(f"/api/v1/projects/{team.pid}/queue/next")
        item = got.json()["item"]
        made = team.http[who].post(
            f"/api/v1/items/{item['id']}/annotations",
            json={"regions": [{"type": "class", "label": answer}], "lead_time": 5},
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids


def test_report_over_http_equals_the_service(team: Team) -> None:
    label(team, "ann", ["pos", "pos", "neg"])
    label(team, "bob", ["pos", "neg", "neg"])

    got = team.http["rob"].get(f"/api/v1/projects/{team.pid}/quality")
    denied = team.http["ann"].get(f"/api/v1/projects/{team.pid}/quality")
    bad = team.http["rob"].get(
        f"/api/v1/projects/{team.pid}/quality", params={"iou_threshold": 0}
    )

    assert got.status_code == 200
    assert got.json() == quality.quality_report(team.live.workspace, team.pid)
    overall = got.json()["agreement"]["classes"]["overall"]
    assert overall["percent_agreement"]["value"] == pytest.approx(2 / 3)
    assert denied.status_code == 403
    assert bad.status_code == 422


def test_review_reject_and_gold_over_http(team: Team) -> None:
    ann_ids = label(team, "ann", ["pos", "neg", "neg"])
    rob, mia = team.http["rob"], team.http["mia"]

    queue = rob.get(f"/api/v1/projects/{team.pid}/reviews/queue").json()
    rejected = rob.post(
        f"/api/v1/annotations/{ann_ids[1]}/review",
        json={"decision": "reject", "comment": "'fine' is positive"},
    )
    no_comment = rob.post(
        f"/api/v1/annotations/{ann_ids[2]}/review", json={"decision": "reject"}
    )
    stored = mia.put(
        f"/api/v1/projects/{team.pid}/gold",
        json={"answers": {str(team.items[0]): [{"type": "class", "label": "pos"}]}},
    )
    foreign = mia.put(
        f"/api/v1/projects/{team.pid}/gold",
        json={"answers": {"999": [{"type": "class", "label": "pos"}]}},
    )

    assert [a["id"] for a in queue] == ann_ids
    assert rejected.json()["annotation"]["state"] == "rejected"
    assert no_comment.status_code == 422
    assert stored.json() == {"stored": 1}
    assert foreign.status_code == 404
    gold = mia.get(f"/api/v1/projects/{team.pid}/gold").json()
    assert gold[str(team.items[0])][0]["labels"] == ["pos"]
    report = rob.get(f"/api/v1/projects/{team.pid}/quality").json()
    assert report["rejection"]["rate"]["value"] == 1.0
    assert report["gold"]["per_annotator"]["ann"]["value"] == 1.0
    history = team.http["ann"].get(f"/api/v1/annotations/{ann_ids[1]}/reviews")
    assert history.json()[0]["comment"] == "'fine' is positive"
    feedback = team.http["ann"].get(f"/api/v1/annotations/{ann_ids[0]}/gold-feedback")
    assert feedback.status_code == 204  # the project gives no gold feedback


def test_sdk_quality_consensus_review_and_gold(team: Team) -> None:
    label(team, "ann", ["pos", "pos", "neg"])
    label(team, "bob", ["pos", "neg", "neg"])
    projects.update_project(
        team.live.workspace, team.pid, settings={"gold_feedback": True}
    )

    with Client(team.live.url, team.tokens["mia"]) as mia:
        assert mia.set_gold(
            team.pid, {team.items[0]: [{"type": "class", "label": "pos"}]}
        )
        report = mia.quality(team.pid)
        made = mia.consensus(team.pid, "majority")
        waiting = mia.review_queue(team.pid)
        outcome = mia.review(waiting[0].id, "accept")
    with Client(team.live.url, team.tokens["ann"]) as ann:
        first = ann.annotations(team.items[0])
        mine = [a for a in first if a.author == "ann"][0]
        feedback = ann.gold_feedback(mine.id)

    assert report["counts"] == {
        "items": 3,
        "annotations": 6,
        "annotators": 2,
        "gold_items": 1,
    }
    assert made["created"] == 2 and made["ties"][0]["item_id"] == team.items[1]
    assert len(waiting) == 6 and outcome["annotation"]["state"] == "accepted"
    assert feedback is not None and feedback["matched"] is True
