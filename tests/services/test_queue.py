from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from annotary.core.models import User
from annotary.services import annotations, projects, queue
from annotary.services.users import now
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts, member


def _drain(
    ws: Workspace, project_id: int, user: User, log: list[tuple[int, str]]
) -> None:
    while (item := queue.next_item(ws, project_id, user)) is not None:
        annotations.create_annotation(ws, item.id, [], actor=user)
        log.append((item.id, user.username))


def test_sixteen_annotators_overlap_two_label_every_item_exactly_twice(
    workspace: Workspace,
) -> None:
    project = projects.create_project(workspace, "P", "text", settings={"overlap": 2})
    ids = add_texts(workspace, project.id, [f"item {n}" for n in range(60)])
    people = [member(workspace, project.id, f"u{n}", "annotator") for n in range(16)]
    log: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def work(user: User) -> None:
        try:
            _drain(workspace, project.id, user, log)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(u,)) for u in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    per_item = Counter(item for item, _ in log)
    assert per_item == {item: 2 for item in ids}
    assert len(set(log)) == len(log), "someone annotated one item twice"
    with workspace.db.read() as conn:
        stored = conn.execute(
            select(t.annotations.c.item_id, t.annotations.c.user_id)
        ).all()
    assert Counter(i for i, _ in stored) == {item: 2 for item in ids}
    assert len(set(stored)) == len(stored)


def test_sequential_order_follows_import_order(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text")
    ids = add_texts(workspace, project.id, ["c", "a", "b"])
    user = member(workspace, project.id, "u", "annotator")
    order = []
    while (item := queue.next_item(workspace, project.id, user)) is not None:
        order.append(item.id)
        annotations.create_annotation(workspace, item.id, [], actor=user)
    assert order == ids


def test_random_order_is_seeded_and_repeatable(workspace: Workspace) -> None:
    def run(seed: int, name: str) -> list[str]:
        project = projects.create_project(
            workspace, name, "text", settings={"queue_order": "random", "seed": seed}
        )
        add_texts(workspace, project.id, [f"t{n}" for n in range(12)])
        user = member(workspace, project.id, f"{name}-u", "annotator")
        seen = []
        while (item := queue.next_item(workspace, project.id, user)) is not None:
            seen.append(item.text)
            annotations.create_annotation(workspace, item.id, [], actor=user)
        return seen

    first, again, other = run(7, "a"), run(7, "b"), run(8, "c")
    assert first == again
    assert first != other
    assert sorted(first) == sorted(f"t{n}" for n in range(12))
    assert first != sorted(first, key=lambda s: int(s[1:]))


def test_changing_to_random_order_reranks_existing_items(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text")
    add_texts(workspace, project.id, [f"t{n}" for n in range(12)])
    projects.update_project(workspace, project.id, settings={"queue_order": "random"})
    user = member(workspace, project.id, "u", "annotator")
    first = queue.next_item(workspace, project.id, user)
    expected = min(
        (queue.shuffle_rank(0, h), text) for text, h in _hashes(workspace, project.id)
    )[1]
    assert first is not None and first.text == expected


def _hashes(ws: Workspace, project_id: int) -> list[tuple[str, str]]:
    with ws.db.read() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(t.items.c.text, t.items.c.content_hash).where(
                    t.items.c.project_id == project_id
                )
            ).all()
        ]


def test_lease_is_kept_then_expires_and_frees_the_item(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text", settings={"overlap": 1})
    (only,) = add_texts(workspace, project.id, ["x"])
    a = member(workspace, project.id, "a", "annotator")
    b = member(workspace, project.id, "b", "annotator")

    assert queue.next_item(workspace, project.id, a).id == only
    assert queue.next_item(workspace, project.id, a).id == only  # same lease again
    assert queue.next_item(workspace, project.id, b) is None

    with workspace.db.write() as conn:
        conn.execute(
            update(t.assignments).values(leased_until=now() - timedelta(minutes=1))
        )
    assert queue.next_item(workspace, project.id, b).id == only


def test_skip_frees_the_slot_and_never_returns_the_item(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text")
    first, second = add_texts(workspace, project.id, ["x", "y"])
    a = member(workspace, project.id, "a", "annotator")
    b = member(workspace, project.id, "b", "annotator")

    assert queue.next_item(workspace, project.id, a).id == first
    queue.skip_item(workspace, project.id, first, a)
    assert queue.next_item(workspace, project.id, a).id == second
    assert queue.next_item(workspace, project.id, b).id == first


def test_excluded_items_leave_the_queue(workspace: Workspace) -> None:
    from annotary.services import items

    project = projects.create_project(workspace, "P", "text")
    first, second = add_texts(workspace, project.id, ["x", "y"])
    items.bulk_update(workspace, project.id, [first], "exclude", reason="duplicate")
    a = member(workspace, project.id, "a", "annotator")
    assert queue.next_item(workspace, project.id, a).id == second
    assert items.get_item(workspace, first).exclude_reason == "duplicate"


def test_gold_items_are_mixed_in_for_everyone_at_the_rate(workspace: Workspace) -> None:
    from annotary.services import gold

    project = projects.create_project(
        workspace, "G", "text", settings={"gold_rate": 0.25, "seed": 3}
    )
    ids = add_texts(workspace, project.id, [f"t{n}" for n in range(80)])
    gold_ids = ids[-8:]  # at the end of the queue: only the mixing can bring them
    gold.set_gold(workspace, {i: [{"type": "class", "label": "x"}] for i in gold_ids})
    people = [member(workspace, project.id, n, "annotator") for n in ("a", "b")]

    served: dict[str, list[int]] = {}
    for person in people:
        got = served.setdefault(person.username, [])
        for _ in range(24):
            item = queue.next_item(workspace, project.id, person)
            got.append(item.id)
            annotations.create_annotation(workspace, item.id, [], actor=person)

    for got in served.values():
        golds = [i for i in got if i in gold_ids]
        assert 2 <= len(golds) <= 12, golds
        assert len(set(got)) == len(got)
    shared = set(served["a"]) & set(served["b"]) & set(gold_ids)
    assert shared, "overlap 1 must not keep a gold item from the second person"
