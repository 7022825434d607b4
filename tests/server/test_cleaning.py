"""The cleaning routes through the SDK against a real server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from annotary import errors
from annotary.client import Client
from annotary.jobs import get_job, run_next
from annotary.services import annotations, projects, users
from tests.services.helpers import add_texts

MOJIBAKE = "The caf\u00c3\u00a9 opened in 1999 for everyone"
TEXTS = [
    "Ada Lovelace wrote the first program for the engine.",
    "ada lovelace   wrote the first program for the engine.",
    "",
    MOJIBAKE,
    "Grace Hopper built the first compiler in the fifties.",
]


@pytest.fixture
def setup(live: Any) -> Iterator[tuple[Client, int, list[int]]]:
    ws = live.workspace
    user = users.create_user(ws, "root", None, is_admin=True)
    schema = {"labels": [{"name": "PER"}], "tools": ["span"]}
    project = projects.create_project(ws, "Clean", "text", label_schema=schema)
    ids = add_texts(ws, project.id, TEXTS)
    with Client(live.url, users.create_token(ws, user)) as sdk:
        yield sdk, project.id, ids


def test_clean_then_list_count_and_cluster(
    setup: tuple[Client, int, list[int]],
) -> None:
    sdk, pid, ids = setup

    report = sdk.clean(pid)

    assert report["counts"]["empty-text.v1"] == 1
    assert report["counts"]["exact-duplicates.v1"] == 2
    listed = sdk.flags(pid)
    assert listed["total"] == report["flags"]
    scores = [flag["score"] for flag in listed["flags"]]
    assert scores == sorted(scores, reverse=True)
    assert [f["item_id"] for f in sdk.flags(pid, check="empty-text")["flags"]] == [
        ids[2]
    ]
    assert sdk.flag_count(pid, "exact-duplicates", 0.0) == 2
    assert sdk.flag_count(pid, "exact-duplicates", 2.0) == 0
    (cluster,) = sdk.clusters(pid, check="exact-duplicates")
    assert cluster["representative"] == ids[0]
    assert [m["item_id"] for m in cluster["members"]] == [ids[0], ids[1]]


def test_decide_keep_one_apply_and_restore(
    setup: tuple[Client, int, list[int]],
) -> None:
    sdk, pid, ids = setup
    sdk.clean(pid)

    assert sdk.keep_one_per_cluster(pid) == {"keep": 1, "exclude": 1, "restore": 0}
    assert sdk.apply_suggestions(pid) == {"keep": 1, "exclude": 1, "restore": 0}
    excluded = {item.id for item in _items(sdk, pid) if item.excluded}
    assert excluded == {ids[1], ids[2]}

    assert sdk.decide(pid, {ids[1]: "restore"}) == {
        "keep": 0,
        "exclude": 0,
        "restore": 1,
    }
    assert sdk.item(ids[1]).excluded is False
    sdk.decide(pid, {ids[4]: "exclude"}, reason="off topic")
    assert sdk.item(ids[4]).exclude_reason == "off topic"


def _items(sdk: Client, pid: int) -> list[Any]:
    return list(sdk.items(pid))


def test_repair_applies_until_annotated(
    live: Any, setup: tuple[Client, int, list[int]]
) -> None:
    sdk, pid, ids = setup
    sdk.clean(pid, checks=["mojibake"])

    done = sdk.repair_text(pid, ids[3])
    assert done["text"] == "The caf\u00e9 opened in 1999 for everyone"
    assert sdk.item(ids[3]).meta["revisions"][0]["text"] == MOJIBAKE

    annotations.create_annotation(
        live.workspace,
        ids[3],
        [{"type": "span", "start": 0, "end": 3, "label": "PER"}],
    )
    with pytest.raises(errors.Conflict) as caught:
        sdk.repair_text(pid, ids[3], text="anything")
    assert "offered, not applied" in caught.value.message


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"checks": ["blur"]}, errors.InvalidInput),
        ({"checks": ["nope"]}, errors.NotFound),
        ({"params": {"text-length": {"nope": 1}}}, errors.InvalidInput),
        (
            {"checks": ["text-length"], "params": {"text-length": {"min_chars": 1}}},
            None,
        ),
    ],
)
def test_clean_errors_map_to_the_sdk(
    setup: tuple[Client, int, list[int]],
    kwargs: dict[str, Any],
    error: type[errors.AnnotaryError] | None,
) -> None:
    sdk, pid, _ = setup
    if error is None:
        assert sdk.clean(pid, **kwargs)["counts"] == {"text-length.v1": 0}
        return
    with pytest.raises(error):
        sdk.clean(pid, **kwargs)


def test_background_clean_is_a_job(
    live: Any, setup: tuple[Client, int, list[int]]
) -> None:
    sdk, pid, ids = setup

    job = sdk.clean(pid, checks=["empty-text"], background=True)["job"]
    assert run_next(live.workspace.db, {"workspace": live.workspace}) == job

    done = get_job(live.workspace.db, job)
    assert done["state"] == "done"
    assert done["result"]["counts"] == {"empty-text.v1": 1}
    assert [f["item_id"] for f in sdk.flags(pid)["flags"]] == [ids[2]]


def test_background_run_answers_202_and_reports_runs_and_repairs(
    live: Any, setup: tuple[Client, int, list[int]]
) -> None:
    sdk, pid, ids = setup

    queued = sdk.clean(pid, checks=["mojibake"], background=True)
    assert (queued["state"], queued["kind"], queued["progress"]) == (
        "queued",
        "clean",
        0,
    )
    assert run_next(live.workspace.db, {"workspace": live.workspace}) == queued["job"]
    job = sdk.job(queued["job"])
    assert (job["state"], job["progress"], job["total"]) == ("done", 5, 5)

    assert sdk.repair_all(pid) == {"repaired": [ids[3]], "offered": []}
    assert sdk.repair_all(pid) == {"repaired": [], "offered": []}
    (run,) = sdk.cleaning_runs(pid)
    assert run["counts"] == {"mojibake.v1": 1}
    assert run["decisions"]["repair"] == 1
    with pytest.raises(errors.InvalidInput, match="already holds that text"):
        sdk.repair_text(pid, ids[3])


def test_bad_listing_parameters_are_422_on_both_databases(
    setup: tuple[Client, int, list[int]],
) -> None:
    sdk, pid, _ = setup
    http = sdk._http  # the SDK's own client: same auth, raw answers
    for path in (
        f"/projects/{pid}/flags?offset=-5",
        f"/projects/{pid}/clean/runs?limit=0",
        f"/projects/{pid}/flags/count?check=no-such-check&threshold=0",
    ):
        got = http.get(path)
        assert got.status_code == 422, (path, got.text)
    got = http.get(f"/projects/{pid}/flags/count?check=nope&threshold=0")
    assert "no check named 'nope'" in got.json()["message"]
