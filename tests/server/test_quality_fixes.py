"""Gold feedback and reviewers' fixes of boxes and spans over HTTP, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from annotary.services import gold, imports, projects, review, users
from tests.services.helpers import add_texts

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}]}


def people(live: Any, pid: int, *who: tuple[str, str]) -> dict[str, Any]:
    http = {}
    for name, role in who:
        user = users.create_user(live.workspace, name, None)
        users.set_role(live.workspace, pid, user.id, role)
        http[name] = live.client(users.create_token(live.workspace, user))
    return http


def submit(client: Any, pid: int, regions: list[dict[str, Any]]) -> dict[str, Any]:
    item = client.post(f"/api/v1/projects/{pid}/queue/next").json()["item"]
    made = client.post(
        f"/api/v1/items/{item['id']}/annotations",
        json={"regions": regions, "lead_time": 3},
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


@pytest.mark.parametrize("feedback", [False, True])
def test_gold_feedback_reveals_nothing_unless_the_project_gives_it(
    live: Any, feedback: bool
) -> None:
    ws = live.workspace
    project = projects.create_project(
        ws,
        "G",
        "text",
        label_schema=SCHEMA,
        settings={"gold_feedback": feedback, "overlap": 2},
    )
    gold_item, plain_item = add_texts(ws, project.id, ["good", "fine"])
    gold.set_gold(ws, {gold_item: [{"type": "class", "label": "pos"}]})
    http = people(live, project.id, ("ann", "annotator"), ("bob", "annotator"))
    try:
        on_gold = submit(http["ann"], project.id, [{"type": "class", "label": "neg"}])
        on_plain = submit(http["ann"], project.id, [{"type": "class", "label": "pos"}])
        assert (on_gold["item_id"], on_plain["item_id"]) == (gold_item, plain_item)

        got = http["ann"].get(f"/api/v1/annotations/{on_gold['id']}/gold-feedback")
        plain = http["ann"].get(f"/api/v1/annotations/{on_plain['id']}/gold-feedback")
        other = http["bob"].get(f"/api/v1/annotations/{on_gold['id']}/gold-feedback")

        # A non-gold item answers exactly like a gold one with feedback off.
        assert (plain.status_code, plain.content) == (204, b"")
        assert other.status_code == 404
        if feedback:
            assert got.status_code == 200
            assert got.json() == {
                "gold": True,
                "matched": False,
                "answer": [
                    {
                        "type": "class",
                        "id": got.json()["answer"][0]["id"],
                        "label": "pos",
                        "labels": ["pos"],
                        "score": None,
                        "attributes": {},
                    }
                ],
            }
        else:
            assert (got.status_code, got.content) == (204, b"")
    finally:
        for client in http.values():
            client.close()


def test_reviewer_fixes_boxes_and_the_original_is_kept(
    live: Any, tmp_path: Path
) -> None:
    ws = live.workspace
    schema = {"labels": [{"name": "cat"}, {"name": "dog"}], "tools": ["bbox"]}
    project = projects.create_project(ws, "I", "image", label_schema=schema)
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(folder / "a.png")
    imports.import_paths(ws, project.id, [folder])
    http = people(live, project.id, ("ann", "annotator"), ("rev", "reviewer"))
    drawn = {"type": "bbox", "x": 1, "y": 2, "w": 10, "h": 10, "label": "cat"}
    try:
        work = submit(http["ann"], project.id, [drawn])
        fixed = [
            {"type": "bbox", "x": 4, "y": 2, "w": 20, "h": 12, "label": "dog"},
            {"type": "bbox", "x": 40, "y": 30, "w": 8, "h": 8, "label": "cat"},
        ]
        stale = http["rev"].post(
            f"/api/v1/annotations/{work['id']}/review",
            json={"decision": "fix", "regions": fixed, "version": 99},
        )
        outside = http["rev"].post(
            f"/api/v1/annotations/{work['id']}/review",
            json={"decision": "fix", "regions": [{**drawn, "x": 1e6}]},
        )
        done = http["rev"].post(
            f"/api/v1/annotations/{work['id']}/review",
            json={"decision": "fix", "regions": fixed, "version": work["version"]},
        )

        assert stale.status_code == 409
        assert outside.status_code == 422
        assert done.status_code == 200, done.text
        fix = done.json()["fix"]
        assert (fix["author"], fix["parent_id"], fix["state"]) == (
            "rev",
            work["id"],
            "accepted",
        )
        boxes = [(r["x"], r["y"], r["w"], r["h"], r["label"]) for r in fix["regions"]]
        assert boxes == [(4, 2, 20, 12, "dog"), (40, 30, 8, 8, "cat")]
        stored = http["rev"].get(f"/api/v1/items/{work['item_id']}/annotations")
        by_id = {a["id"]: a for a in stored.json()}
        original = by_id[work["id"]]
        assert [(r["x"], r["label"]) for r in original["regions"]] == [(1, "cat")]
        assert by_id[fix["id"]]["regions"] == fix["regions"]
        events = review.audit_log(ws, project.id)
        assert [(e["action"], e["user"], e["data"]["fix"]) for e in events[:1]] == [
            ("review.fix", "rev", fix["id"])
        ]
    finally:
        for client in http.values():
            client.close()


def test_reviewer_fixes_spans(live: Any) -> None:
    ws = live.workspace
    schema = {"labels": [{"name": "PER"}, {"name": "LOC"}], "tools": ["span"]}
    project = projects.create_project(ws, "N", "text", label_schema=schema)
    add_texts(ws, project.id, ["\U0001f600 Alice met Bob in Paris."])
    http = people(live, project.id, ("ann", "annotator"), ("rev", "reviewer"))
    try:
        work = submit(
            http["ann"],
            project.id,
            [{"type": "span", "start": 2, "end": 7, "label": "LOC"}],
        )
        wrong_text = http["rev"].post(
            f"/api/v1/annotations/{work['id']}/review",
            json={
                "decision": "fix",
                "regions": [{"type": "span", "start": 2, "end": 7, "text": "Alic"}],
            },
        )
        done = http["rev"].post(
            f"/api/v1/annotations/{work['id']}/review",
            json={
                "decision": "fix",
                "regions": [
                    {"type": "span", "start": 2, "end": 7, "label": "PER"},
                    {"type": "span", "start": 19, "end": 24, "label": "LOC"},
                ],
            },
        )

        assert wrong_text.status_code == 422
        spans = [
            (r["start"], r["end"], r["label"]) for r in done.json()["fix"]["regions"]
        ]
        assert spans == [(2, 7, "PER"), (19, 24, "LOC")]
        report = http["rev"].get(f"/api/v1/projects/{project.id}/quality").json()
        # The fix is the reviewer's correction, not a second annotator's vote.
        assert report["counts"]["annotators"] == 1
    finally:
        for client in http.values():
            client.close()


def test_audit_log_over_http_names_who_and_when(live: Any) -> None:
    ws = live.workspace
    project = projects.create_project(ws, "A", "text", label_schema=SCHEMA)
    (item,) = add_texts(ws, project.id, ["good"])
    http = people(
        live,
        project.id,
        ("ann", "annotator"),
        ("rev", "reviewer"),
        ("mia", "manager"),
    )
    try:
        work = submit(http["ann"], project.id, [{"type": "class", "label": "neg"}])
        http["rev"].post(
            f"/api/v1/annotations/{work['id']}/review",
            json={"decision": "reject", "comment": "it is positive"},
        )
        http["mia"].put(
            f"/api/v1/projects/{project.id}/gold",
            json={"answers": {str(item): [{"type": "class", "label": "pos"}]}},
        )
        denied = http["rev"].get(f"/api/v1/projects/{project.id}/audit")
        events = http["mia"].get(f"/api/v1/projects/{project.id}/audit").json()

        assert denied.status_code == 403
        newest = [(e["action"], e["user"], e["target"]) for e in events[:2]]
        assert newest == [
            ("gold.set", "mia", str(item)),
            ("review.reject", "rev", str(work["id"])),
        ]
        assert events[1]["data"]["comment"] == "it is positive"
        assert all(e["at"] for e in events)
        assert any(e["user"] == "ann" for e in events[2:])
    finally:
        for client in http.values():
            client.close()
