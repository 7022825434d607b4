from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from annotary.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from annotary.jobs import get_job, run_next
from annotary.services import annotations, cleaning, items, projects, queue
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts, member

NER = {"labels": [{"name": "PER"}], "tools": ["span"]}
MOJIBAKE = "The caf\u00c3\u00a9 opened in 1999 for everyone"
TEXTS = [
    "Ada Lovelace wrote the first program for the engine.",  # 0
    "ada lovelace   wrote the first program for the engine.",  # 1 same, normalised
    "   ",  # 2 empty
    "Grace Hopper built the first compiler in the fifties.",  # 3
    MOJIBAKE,  # 4
    "Write to ada@example.org about the notes on the engine.",  # 5
]


def _project(ws: Workspace) -> tuple[int, list[int]]:
    project = projects.create_project(ws, "Clean", "text", label_schema=NER)
    return project.id, add_texts(ws, project.id, TEXTS)


def _by_check(ws: Workspace, pid: int) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for flag in cleaning.list_flags(ws, pid)["flags"]:
        found.setdefault(flag["check"], set()).add(flag["item_id"])
    return found


def test_run_stores_flags_and_reports_counts(workspace: Workspace) -> None:
    pid, ids = _project(workspace)

    report = cleaning.run_cleaning(workspace, pid)

    found = _by_check(workspace, pid)
    assert found["empty-text.v1"] == {ids[2]}
    assert found["exact-duplicates.v1"] == {ids[0], ids[1]}
    assert found["mojibake.v1"] == {ids[4]}
    assert ids[5] in found["personal-data.v1"]
    assert report["items"] == 6
    assert report["counts"]["empty-text.v1"] == 1
    assert report["counts"]["exact-duplicates.v1"] == 2
    assert report["flags"] == sum(len(v) for v in _flat_counts(workspace, pid))
    assert {run["name"] for run in report["checks"]} == set(report["counts"])

    with workspace.db.read() as conn:
        event = conn.execute(
            select(t.audit_events.c.data).where(t.audit_events.c.action == "clean.run")
        ).scalar_one()
    assert event["counts"] == report["counts"]


def _flat_counts(ws: Workspace, pid: int) -> list[list[int]]:
    flags = cleaning.list_flags(ws, pid)["flags"]
    return [[f["id"]] for f in flags]


def test_rerun_replaces_flags_of_its_checks_and_keeps_decisions(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)
    cleaning.run_cleaning(workspace, pid)
    cleaning.decide(workspace, pid, {ids[2]: "exclude"}, reason="blank line")
    before = cleaning.list_flags(workspace, pid)["total"]

    report = cleaning.run_cleaning(workspace, pid, checks=["empty-text"])

    after = cleaning.list_flags(workspace, pid)
    assert after["total"] == before
    empty = cleaning.list_flags(workspace, pid, check="empty-text")["flags"]
    assert [(f["item_id"], f["decision"]) for f in empty] == [(ids[2], "exclude")]
    assert report["decisions_kept"] == 1
    assert [run["name"] for run in report["checks"]] == ["empty-text.v1"]


@pytest.mark.parametrize(
    ("checks", "params", "error"),
    [
        (["text-length"], {"text-length": {"min_chars": 60}}, None),
        (["text-length.v1"], {"text-length.v1": {"min_chars": 60}}, None),
        (["text-length"], {"text-length": {"shortest": 60}}, InvalidInput),
        (["text-length"], {"blur": {"threshold": 1}}, InvalidInput),
        (["blur"], None, InvalidInput),  # an image check on a text project
        (["no-such-check"], None, NotFound),
    ],
)
def test_checks_and_parameters_are_validated(
    workspace: Workspace,
    checks: list[str],
    params: dict[str, Any] | None,
    error: type[Exception] | None,
) -> None:
    pid, ids = _project(workspace)
    if error is not None:
        with pytest.raises(error):
            cleaning.run_cleaning(workspace, pid, checks=checks, params=params)
        assert cleaning.list_flags(workspace, pid)["total"] == 0
        return

    report = cleaning.run_cleaning(workspace, pid, checks=checks, params=params)

    # Blank texts are the empty-text check's; every other one is under 60.
    short = {
        i for i, text in zip(ids, TEXTS, strict=True) if 0 < len(text.strip()) < 60
    }
    assert _by_check(workspace, pid)["text-length.v1"] == short
    assert report["checks"][0]["params"]["min_chars"] == 60


def test_list_flags_filters_and_sorts_by_score(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    cleaning.run_cleaning(workspace, pid)

    flags = cleaning.list_flags(workspace, pid)["flags"]
    scores = [f["score"] for f in flags]
    assert scores == sorted(scores, reverse=True)

    high = cleaning.list_flags(workspace, pid, min_score=0.99)["flags"]
    assert high and all(f["score"] >= 0.99 for f in high)
    page = cleaning.list_flags(workspace, pid, limit=2, offset=1)
    assert [f["id"] for f in page["flags"]] == [f["id"] for f in flags[1:3]]
    with pytest.raises(InvalidInput):
        cleaning.list_flags(workspace, pid, limit=0)


def test_count_for_threshold_matches_the_listed_flags(workspace: Workspace) -> None:
    pid, _ = _project(workspace)
    cleaning.run_cleaning(workspace, pid, checks=["text-length"])
    flags = cleaning.list_flags(workspace, pid)["flags"]

    for threshold in sorted({f["score"] for f in flags} | {0.0, 2.0}):
        counted = cleaning.count_for_threshold(workspace, pid, "text-length", threshold)
        expected = {f["item_id"] for f in flags if f["score"] >= threshold}
        assert counted["items"] == len(expected)


def test_clusters_show_members_with_representative_first(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)
    cleaning.run_cleaning(workspace, pid, checks=["exact-duplicates"])

    (cluster,) = cleaning.clusters(workspace, pid)

    assert cluster["representative"] == ids[0]
    assert cluster["size"] == 2
    assert [m["item_id"] for m in cluster["members"]] == [ids[0], ids[1]]
    assert cluster["cluster"] == f"exact-duplicates.v1:{ids[0]}"


def test_excluded_items_leave_the_queue_and_can_be_restored(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)
    cleaning.run_cleaning(workspace, pid)
    ann = member(workspace, pid, "ann", "annotator")

    counts = cleaning.apply_suggestions(workspace, pid)

    assert counts["exclude"] == 2  # the empty text and the second duplicate
    served = _drain(workspace, pid, ann)
    assert ids[2] not in served and ids[1] not in served
    assert set(served) == set(ids) - {ids[1], ids[2]}
    with workspace.db.read() as conn:
        reason = conn.execute(
            select(t.items.c.exclude_reason).where(t.items.c.id == ids[2])
        ).scalar_one()
    assert "empty-text" in reason

    cleaning.decide(workspace, pid, {ids[2]: "restore"})

    with workspace.db.read() as conn:
        row = conn.execute(select(t.items).where(t.items.c.id == ids[2])).one()
    assert (row.excluded, row.exclude_reason) == (False, None)
    assert queue.next_item(workspace, pid, ann).id == ids[2]


def _drain(ws: Workspace, pid: int, user: Any) -> list[int]:
    served = []
    while (item := queue.next_item(ws, pid, user)) is not None:
        served.append(item.id)
        annotations.create_annotation(ws, item.id, [], actor=user)
    return served


def test_keep_one_per_cluster_keeps_the_representative(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    cleaning.run_cleaning(workspace, pid, checks=["exact-duplicates"])
    (cluster,) = cleaning.clusters(workspace, pid)

    counts = cleaning.keep_one_per_cluster(workspace, pid, [cluster["cluster"]])

    assert counts == {"keep": 1, "exclude": 1, "restore": 0}
    (after,) = cleaning.clusters(workspace, pid)
    assert [(m["item_id"], m["excluded"]) for m in after["members"]] == [
        (ids[0], False),
        (ids[1], True),
    ]
    with pytest.raises(NotFound):
        cleaning.keep_one_per_cluster(workspace, pid, ["exact-duplicates.v1:999"])


@pytest.mark.parametrize(
    ("decisions", "error"),
    [
        ({0: "keep"}, None),
        ({0: "drop"}, InvalidInput),
        ({99999: "exclude"}, NotFound),
    ],
)
def test_decide_validates_actions_and_items(
    workspace: Workspace, decisions: dict[int, str], error: type[Exception] | None
) -> None:
    pid, ids = _project(workspace)
    mapped = {ids[k] if k < len(ids) else k: v for k, v in decisions.items()}
    if error is None:
        assert cleaning.decide(workspace, pid, mapped)["keep"] == 1
        return
    with pytest.raises(error):
        cleaning.decide(workspace, pid, mapped)


def test_annotator_may_not_clean_or_decide(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    ann = member(workspace, pid, "ann", "annotator")

    with pytest.raises(PermissionDenied):
        cleaning.run_cleaning(workspace, pid, actor=ann)
    with pytest.raises(PermissionDenied):
        cleaning.decide(workspace, pid, {ids[0]: "exclude"}, actor=ann)
    with pytest.raises(PermissionDenied):
        cleaning.list_flags(workspace, pid, actor=ann)


def test_repair_makes_a_revision_while_unannotated(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    cleaning.run_cleaning(workspace, pid, checks=["mojibake"])

    done = cleaning.repair_text(workspace, pid, ids[4])

    assert done["text"] == "The caf\u00e9 opened in 1999 for everyone"
    with workspace.db.read() as conn:
        row = conn.execute(select(t.items).where(t.items.c.id == ids[4])).one()
    assert row.text == done["text"]
    assert row.meta["revisions"][0]["text"] == MOJIBAKE
    (flag,) = cleaning.list_flags(workspace, pid, check="mojibake")["flags"]
    assert flag["decision"] == "repaired"


def test_an_empty_repair_is_refused(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    for text in ("", "  \n"):
        with pytest.raises(InvalidInput, match="may not be empty"):
            cleaning.repair_text(workspace, pid, ids[4], text=text)
    assert items.get_item(workspace, ids[4]).text == MOJIBAKE


def test_repair_is_only_offered_once_annotated(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    cleaning.run_cleaning(workspace, pid, checks=["mojibake"])
    annotations.create_annotation(
        workspace, ids[4], [{"type": "span", "start": 0, "end": 3, "label": "PER"}]
    )

    with pytest.raises(Conflict) as caught:
        cleaning.repair_text(workspace, pid, ids[4])

    assert caught.value.details["status"] == "offered"
    with workspace.db.read() as conn:
        text = conn.execute(
            select(t.items.c.text).where(t.items.c.id == ids[4])
        ).scalar_one()
    assert text == MOJIBAKE
    with pytest.raises(InvalidInput, match="no suggested text repair"):
        cleaning.repair_text(workspace, pid, ids[0])  # nothing to repair


def test_clean_job_runs_through_a_worker(workspace: Workspace) -> None:
    pid, ids = _project(workspace)

    job_id = cleaning.submit_cleaning(workspace, pid, checks=["empty-text"])
    assert run_next(workspace.db, {"workspace": workspace}) == job_id

    job = get_job(workspace.db, job_id)
    assert job["state"] == "done", job["error"]
    assert job["result"]["counts"] == {"empty-text.v1": 1}
    assert (job["progress"], job["total"]) == (6, 6)  # one pass over 6 items
    assert _by_check(workspace, pid) == {"empty-text.v1": {ids[2]}}


def test_clean_job_without_a_workspace_fails_with_a_reason(
    workspace: Workspace,
) -> None:
    pid, _ = _project(workspace)

    job_id = cleaning.submit_cleaning(workspace, pid)
    run_next(workspace.db)

    job = get_job(workspace.db, job_id)
    assert job["state"] == "failed"
    assert "needs a worker given the workspace" in job["error"]


MORE_BROKEN = "Na\u00c3\u00afve readers met Bob at the caf\u00c3\u00a9 on Friday."


def test_repair_all_applies_the_unannotated_and_offers_the_rest(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)
    (other,) = add_texts(workspace, pid, [MORE_BROKEN])
    cleaning.run_cleaning(workspace, pid, checks=["mojibake"])
    annotations.create_annotation(
        workspace, other, [{"type": "span", "start": 0, "end": 3, "label": "PER"}]
    )

    done = cleaning.repair_all(workspace, pid)

    assert done == {"repaired": [ids[4]], "offered": [other]}
    with workspace.db.read() as conn:
        texts = dict(
            conn.execute(
                select(t.items.c.id, t.items.c.text).where(
                    t.items.c.id.in_([ids[4], other])
                )
            ).all()
        )
    assert texts == {
        ids[4]: "The caf\u00e9 opened in 1999 for everyone",
        other: MORE_BROKEN,
    }
    # A second pass has nothing left to apply; the offered one stays offered.
    assert cleaning.repair_all(workspace, pid) == {"repaired": [], "offered": [other]}
    with pytest.raises(InvalidInput, match="already holds that text"):
        cleaning.repair_text(workspace, pid, ids[4])


def test_flags_carry_a_preview_of_their_item(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    long_text = "word " * 200  # 1000 characters
    (long_id,) = add_texts(workspace, pid, [long_text])
    cleaning.run_cleaning(workspace, pid, params={"text-length": {"max_chars": 100}})

    flags = {
        (f["check"], f["item_id"]): f
        for f in cleaning.list_flags(workspace, pid)["flags"]
    }
    # A snippet of 300 characters for most flags, the whole text for mojibake.
    assert flags[("text-length.v1", long_id)]["preview"]["text"] == long_text[:300]
    assert flags[("mojibake.v1", ids[4])]["preview"]["text"] == MOJIBAKE
    assert flags[("mojibake.v1", ids[4])]["preview"]["mime"] is None
    members = cleaning.clusters(workspace, pid)[0]["members"]
    assert {m["preview"]["text"] for m in members} == {TEXTS[0], TEXTS[1]}


def test_run_streams_chunks_and_reports_item_progress(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid, ids = _project(workspace)
    whole = cleaning.run_cleaning(workspace, pid)
    monkeypatch.setattr(cleaning, "READ_CHUNK", 4)  # 6 items: chunks of 4 and 2
    seen: list[tuple[int, int]] = []

    # The same defaults, read 4 items at a time, give the same flags.
    chunked = cleaning.run_cleaning(
        workspace, pid, progress=lambda done, total: seen.append((done, total))
    )

    assert chunked["counts"] == whole["counts"]
    # One shared pass for the per-item checks, one each for exact duplicates,
    # near-duplicate text and language: 4 passes of 6 items, 2 chunks each.
    assert seen == [(n, 24) for n in (4, 6, 10, 12, 16, 18, 22, 24)]


def test_runs_report_checks_thresholds_counts_and_decisions(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)
    first = cleaning.run_cleaning(workspace, pid, checks=["empty-text"])
    cleaning.decide(workspace, pid, {ids[2]: "exclude"})
    cleaning.run_cleaning(
        workspace,
        pid,
        checks=["text-length", "mojibake"],
        params={"text-length": {"min_chars": 60}},
    )
    cleaning.decide(workspace, pid, {ids[0]: "keep", ids[3]: "keep"})
    cleaning.repair_text(workspace, pid, ids[4])

    newest, oldest = cleaning.cleaning_runs(workspace, pid)

    assert oldest["counts"] == first["counts"] == {"empty-text.v1": 1}
    assert oldest["decisions"] == {"keep": 0, "exclude": 1, "restore": 0, "repair": 0}
    assert newest["items"] == 6
    length = next(c for c in newest["checks"] if c["name"] == "text-length.v1")
    assert length["params"] == {"min_chars": 60, "max_chars": 100_000}
    # Five texts are shorter than 60 characters (the blank one is empty-text's).
    assert newest["counts"] == {"text-length.v1": 5, "mojibake.v1": 1}
    assert newest["decisions"] == {"keep": 2, "exclude": 0, "restore": 0, "repair": 1}


def test_one_clean_job_per_project_at_a_time(workspace: Workspace) -> None:
    pid, _ = _project(workspace)
    first = cleaning.submit_cleaning(workspace, pid, checks=["empty-text"])

    with pytest.raises(Conflict, match=f"being cleaned already \\(job {first}\\)"):
        cleaning.submit_cleaning(workspace, pid)

    run_next(workspace.db, {"workspace": workspace})
    assert cleaning.submit_cleaning(workspace, pid) > first
