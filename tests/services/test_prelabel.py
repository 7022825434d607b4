"""Pre-labeling through the services: storage, versions, jobs, retrain, assistance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from annotary import plugins
from annotary.core.models import Item
from annotary.core.regions import ClassRegion
from annotary.core.schema import LabelSchema
from annotary.errors import InvalidInput, NotFound, PermissionDenied
from annotary.jobs import cancel_job, get_job, run_next
from annotary.prelabel.base import Prediction, PrelabelInput
from annotary.services import annotations, prelabel, projects, queue, review
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts, member

GOOD = ["a wonderful film", "great acting", "lovely and moving", "superb"]
BAD = ["a dull mess", "boring and slow", "awful script", "tedious"]


class Keyword:
    """A fixed test pre-labeler: "pos" when the text has "o", with a set version."""

    name = "test-keyword.v1"
    kinds = frozenset({"text"})
    calls: list[list[int]] = []
    on_predict: Any = None

    def __init__(self, *, version: str = "1", score: float = 0.8) -> None:
        self.version = version
        self.score = score

    def fit(self, items: list[Item], annotations: list[Any], schema: Any) -> None:
        """Nothing to learn."""

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        Keyword.calls.append([entry.item.id for entry in batch])
        if Keyword.on_predict is not None:
            Keyword.on_predict()
        return [
            Prediction(
                item_id=entry.item.id,
                regions=[ClassRegion(label="pos", score=self.score)]
                if "o" in (entry.item.text or "")
                else [],
                model_name=self.name,
                model_version=self.version,
            )
            for entry in batch
        ]


@pytest.fixture(autouse=True)
def keyword_model() -> Iterator[None]:
    plugins.prelabelers.register("test-keyword.v1", Keyword)
    Keyword.calls = []
    Keyword.on_predict = None
    yield
    plugins.prelabelers.unregister("test-keyword.v1")


def _project(ws: Workspace, **settings: Any) -> tuple[int, list[int]]:
    project = projects.create_project(
        ws,
        "Reviews",
        "text",
        label_schema={"labels": [{"name": "pos"}, {"name": "neg"}], "tools": ["class"]},
        settings=settings or None,
    )
    return project.id, add_texts(ws, project.id, GOOD + BAD)


def _model_rows(ws: Workspace, project_id: int) -> list[Any]:
    with ws.db.read() as conn:
        return list(
            conn.execute(
                select(t.annotations)
                .where(
                    (t.annotations.c.project_id == project_id)
                    & (t.annotations.c.origin == "model")
                )
                .order_by(t.annotations.c.id)
            ).mappings()
        )


def test_predictions_are_draft_model_annotations_with_scores(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)

    report = prelabel.run_prelabel(workspace, pid, "test-keyword.v1", batch_size=3)

    with_o = [i for i, text in zip(ids, GOOD + BAD, strict=True) if "o" in text]
    rows = _model_rows(workspace, pid)
    assert report.items == 8
    assert report.predictions == len(with_o) == 4
    assert report.empty == 4
    assert report.labels == {"pos": 4}
    assert Keyword.calls == [ids[0:3], ids[3:6], ids[6:8]]
    assert [r["item_id"] for r in rows] == with_o
    assert {(r["state"], r["model_name"], r["model_version"]) for r in rows} == {
        ("draft", "test-keyword.v1", "1")
    }
    assert rows[0]["regions"][0]["score"] == pytest.approx(0.8)
    assert rows[0]["user_id"] is None


def test_same_version_replaces_newer_version_keeps(workspace: Workspace) -> None:
    pid, ids = _project(workspace)
    prelabel.run_prelabel(workspace, pid, "test-keyword.v1")

    again = prelabel.run_prelabel(workspace, pid, "test-keyword.v1", item_ids=ids[:2])
    assert again.replaced == 1  # the second item has no prediction
    assert len(_model_rows(workspace, pid)) == 4

    newer = prelabel.run_prelabel(
        workspace, pid, "test-keyword.v1", options={"version": "2"}
    )
    rows = _model_rows(workspace, pid)
    assert newer.replaced == 0
    assert len(rows) == 8
    assert sorted({r["model_version"] for r in rows}) == ["1", "2"]


def test_a_prediction_someone_started_from_survives_a_rerun(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)
    prelabel.run_prelabel(workspace, pid, "test-keyword.v1", item_ids=[ids[0]])
    prediction = _model_rows(workspace, pid)[0]
    person = member(workspace, pid, "ann", "manager")
    edited = annotations.create_annotation(
        workspace,
        ids[0],
        [{"type": "class", "label": "pos"}],
        actor=person,
        parent_id=prediction["id"],
    )

    report = prelabel.run_prelabel(workspace, pid, "test-keyword.v1", item_ids=[ids[0]])

    assert (report.replaced, report.kept_linked) == (0, 1)
    kept = annotations.get_annotation(workspace, edited.id)
    assert kept.parent_id == prediction["id"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"status": "new"}, None, ""),
        ({"q": "film"}, None, ""),
        ({"colour": "red"}, InvalidInput, "unknown item filter"),
        ({"sort": "id"}, InvalidInput, "unknown item filter"),
        ({"batch_size": 0}, InvalidInput, "batch_size"),
        ({"item_ids": [10_000]}, InvalidInput, "no item 10000 in project"),
        ({"item_ids": []}, InvalidInput, "nothing to pre-label: item_ids is empty"),
        ({"status": "reviewed"}, InvalidInput, "nothing to pre-label"),
        ({"options": {"colour": 1}}, InvalidInput, "bad options"),
    ],
)
def test_filters_and_bad_arguments(
    sqlite_workspace: Workspace,
    kwargs: dict[str, Any],
    error: type[Exception] | None,
    message: str,
) -> None:
    pid, _ids = _project(sqlite_workspace)
    if error is None:
        report = prelabel.run_prelabel(
            sqlite_workspace, pid, "test-keyword.v1", **kwargs
        )
        expected = 1 if "q" in kwargs else 8
        assert report.items == expected
        return
    with pytest.raises(error, match=message):
        prelabel.run_prelabel(sqlite_workspace, pid, "test-keyword.v1", **kwargs)


def test_items_of_another_project_and_unknown_models_are_refused(
    sqlite_workspace: Workspace,
) -> None:
    pid, _ = _project(sqlite_workspace)
    other = projects.create_project(sqlite_workspace, "Other", "text")
    foreign = add_texts(sqlite_workspace, other.id, ["elsewhere"])

    with pytest.raises(InvalidInput, match=f"no item {foreign[0]} in project"):
        prelabel.run_prelabel(
            sqlite_workspace, pid, "test-keyword.v1", item_ids=foreign
        )
    with pytest.raises(NotFound):
        prelabel.run_prelabel(sqlite_workspace, pid, "no-such-model.v1")
    with pytest.raises(NotFound):
        prelabel.submit_prelabel(sqlite_workspace, pid, "no-such-model.v1")


@pytest.mark.parametrize(
    ("request_", "field", "message"),
    [
        ({"item_ids": [999_999]}, "item_ids", "no item 999999 in project 'Reviews'"),
        ({"item_ids": [0, -3, 2**70]}, "item_ids", r"no item -3, 0, \d+ in project"),
        ({"item_ids": []}, "item_ids", "nothing to pre-label"),
        ({"bogus": 1}, "filters", r"unknown item filter \['bogus'\]"),
        ({"q": "no such words"}, "filters", "nothing to pre-label: no item"),
        ({"model": "sklearn-text.v1", "kind": "image"}, "model", "reads text items"),
        ({"model": "http.v1"}, "options", "it needs url"),
        (
            {"model": "sklearn-text.v1"},
            "model",
            "sklearn-text.v1 learns from this project's labels first: it has 0 "
            "labelled items using 0 labels, and needs 4 with at least two labels",
        ),
        (
            {"model": "rule-patterns.v1"},
            "model",
            "rule-patterns.v1 makes span regions; project 'Reviews' labels with class",
        ),
        ({"batch_size": 0}, "batch_size", "at least 1"),
    ],
)
def test_bad_requests_are_refused_before_a_job_is_queued(
    workspace: Workspace, request_: dict[str, Any], field: str, message: str
) -> None:
    request_ = dict(request_)
    model = request_.pop("model", "test-keyword.v1")
    if request_.pop("kind", "text") == "image":
        pid = projects.create_project(workspace, "Reviews", "image").id
    else:
        pid, _ = _project(workspace)

    with pytest.raises(InvalidInput, match=message) as caught:
        prelabel.submit_prelabel(workspace, pid, model, **request_)

    assert caught.value.details["field"] == field
    with workspace.db.read() as conn:
        assert conn.execute(select(t.jobs.c.id)).first() is None


def test_an_item_of_another_project_is_listed_with_the_unknown_ones(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws)
    other = projects.create_project(ws, "Other", "text")
    (foreign,) = add_texts(ws, other.id, ["elsewhere"])

    with pytest.raises(InvalidInput) as caught:
        prelabel.submit_prelabel(
            ws, pid, "test-keyword.v1", item_ids=[ids[0], 999_999, foreign]
        )

    assert caught.value.details["unknown"] == [foreign, 999_999]
    assert caught.value.message == (
        f"item_ids: no item {foreign}, 999999 in project 'Reviews'"
    )


def test_annotators_may_not_prelabel(sqlite_workspace: Workspace) -> None:
    pid, _ = _project(sqlite_workspace)
    person = member(sqlite_workspace, pid, "ann", "annotator")
    with pytest.raises(PermissionDenied):
        prelabel.run_prelabel(sqlite_workspace, pid, "test-keyword.v1", actor=person)
    with pytest.raises(PermissionDenied):
        prelabel.submit_prelabel(sqlite_workspace, pid, "test-keyword.v1", actor=person)


def test_prelabel_job_reports_progress_and_result(workspace: Workspace) -> None:
    pid, _ = _project(workspace)
    boss = member(workspace, pid, "boss", "manager")
    job_id = prelabel.submit_prelabel(
        workspace, pid, "test-keyword.v1", actor=boss, batch_size=5, status="new"
    )

    assert run_next(workspace.db) == job_id

    job = get_job(workspace.db, job_id)
    assert job["state"] == "done", job["error"]
    assert (job["progress"], job["total"]) == (8, 8)
    assert job["result"]["predictions"] == 4


def test_cancelling_a_running_prelabel_job_stops_it_between_batches(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, _ = _project(ws)
    job_id = prelabel.submit_prelabel(ws, pid, "test-keyword.v1", batch_size=2)
    Keyword.on_predict = lambda: cancel_job(ws.db, job_id)

    run_next(ws.db)

    assert get_job(ws.db, job_id)["state"] == "cancelled"
    assert len(Keyword.calls) == 1
    assert len(_model_rows(ws, pid)) == 1  # the first batch was written


def _label(ws: Workspace, item_ids: list[int], labels: list[str], who: Any) -> None:
    for item_id, label in zip(item_ids, labels, strict=True):
        annotations.create_annotation(
            ws, item_id, [{"type": "class", "label": label}], actor=who
        )


def test_text_classifier_trains_on_the_projects_own_labels(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws)
    person = member(ws, pid, "ann", "manager")
    with pytest.raises(InvalidInput, match="0 labelled items"):
        prelabel.run_prelabel(ws, pid, "sklearn-text.v1")

    _label(ws, ids[:2] + ids[4:6], ["pos", "pos", "neg", "neg"], person)
    first = prelabel.run_prelabel(ws, pid, "sklearn-text.v1")
    _label(ws, [ids[2], ids[6]], ["pos", "neg"], person)
    second = prelabel.run_prelabel(ws, pid, "sklearn-text.v1")

    assert (first.trained_on, second.trained_on) == (4, 6)
    assert first.model_version != second.model_version
    assert second.replaced == 0  # a newer version keeps the older predictions
    assert len(_model_rows(ws, pid)) == 16
    scores = [r["regions"][0]["score"] for r in _model_rows(ws, pid)]
    assert all(0.5 <= s <= 1.0 for s in scores)


def test_retrain_records_a_learning_curve_and_reranks_by_uncertainty(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws, queue_order="uncertainty")
    person = member(ws, pid, "ann", "manager")
    _label(ws, ids[:3] + ids[4:7], ["pos"] * 3 + ["neg"] * 3, person)

    report = prelabel.retrain(ws, pid, holdout=0.0, random_share=0.0)

    assert (report.labelled, report.trained_on, report.held_out) == (6, 6, 0)
    assert report.accuracy is None
    assert report.reranked == 2
    curve = prelabel.learning_curve(ws, pid)
    assert [p["model_version"] for p in curve] == [report.model_version]

    model, _ = prelabel.train_text_model(ws, pid, holdout=0.0)
    open_ids = [ids[3], ids[7]]
    texts = [(GOOD + BAD)[3], (GOOD + BAD)[7]]
    probs = model.proba_matrix(texts, ["pos", "neg"])
    most_unsure = open_ids[int(abs(probs[:, 0] - 0.5).argmin())]
    served = queue.next_item(ws, pid, member(ws, pid, "other", "annotator"))
    assert served is not None and served.id == most_unsure


def test_held_out_labels_measure_accuracy(sqlite_workspace: Workspace) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws)
    person = member(ws, pid, "ann", "manager")
    _label(ws, ids, ["pos"] * 4 + ["neg"] * 4, person)

    report = prelabel.retrain(ws, pid, holdout=0.5)

    assert report.trained_on + report.held_out == 8
    assert report.held_out >= 1
    assert report.accuracy is not None and 0.0 <= report.accuracy <= 1.0
    hits = report.accuracy * report.held_out
    assert hits == pytest.approx(round(hits))


@pytest.mark.parametrize("content", ["a", "b", "c", "0" * 64])
def test_held_out_draw_is_stable_and_bounded(content: str) -> None:
    assert prelabel.is_held_out(content, 0.0) is False
    assert prelabel.is_held_out(content, 1.0) is True
    assert prelabel.is_held_out(content, 0.3) == prelabel.is_held_out(content, 0.3)


def test_retrain_is_scheduled_every_n_labels(sqlite_workspace: Workspace) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws)
    person = member(ws, pid, "ann", "manager")
    _label(ws, [ids[0], ids[1], ids[5]], ["pos", "pos", "neg"], person)
    assert prelabel.maybe_schedule_retrain(ws, pid, every=4) is None

    _label(ws, [ids[6]], ["neg"], person)
    job_id = prelabel.maybe_schedule_retrain(ws, pid, every=4)
    assert job_id is not None
    assert prelabel.maybe_schedule_retrain(ws, pid, every=4) is None  # one pending

    run_next(ws.db)
    job = get_job(ws.db, job_id)
    assert job["state"] == "done", job["error"]
    assert job["result"]["labelled"] == 4
    assert prelabel.maybe_schedule_retrain(ws, pid, every=4) is None
    _label(ws, [ids[2], ids[3], ids[4], ids[7]], ["pos", "pos", "neg", "neg"], person)
    assert prelabel.maybe_schedule_retrain(ws, pid, every=4) is not None


def test_assistance_pairs_people_with_the_predictions_they_edited(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws)
    prelabel.run_prelabel(ws, pid, "test-keyword.v1", item_ids=ids[:3])
    parents = {r["item_id"]: r["id"] for r in _model_rows(ws, pid)}
    person = member(ws, pid, "ann", "manager")
    for item_id, label, seconds in [(ids[0], "pos", 4.0), (ids[2], "neg", 8.0)]:
        annotations.create_annotation(
            ws,
            item_id,
            [{"type": "class", "label": label}],
            actor=person,
            parent_id=parents[item_id],
            lead_time=seconds,
        )
    annotations.create_annotation(
        ws, ids[5], [{"type": "class", "label": "neg"}], actor=person, lead_time=20.0
    )

    report = prelabel.assistance_report(ws, pid)

    (model,) = report["models"]
    assert (model["model_name"], model["model_version"], model["items"]) == (
        "test-keyword.v1",
        "1",
        2,
    )
    assert model["counts"]["classes_kept"] == 1
    assert model["counts"]["classes_changed"] == 1
    assert model["precision"] == pytest.approx(0.5)
    assert model["median_seconds"] == pytest.approx(6.0)
    assert report["unassisted_items"] == 1
    assert report["unassisted_median_seconds"] == pytest.approx(20.0)


def test_a_post_edit_a_reviewer_rejected_still_counts(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws)
    prelabel.run_prelabel(ws, pid, "test-keyword.v1", item_ids=ids[:1])
    (parent,) = [r["id"] for r in _model_rows(ws, pid)]
    person = member(ws, pid, "ann", "annotator")
    boss = member(ws, pid, "rev", "reviewer")
    served = queue.next_item(ws, pid, person)
    assert served is not None and served.id == ids[0]
    edit = annotations.create_annotation(
        ws,
        ids[0],
        [{"type": "class", "label": "neg"}],
        actor=person,
        parent_id=parent,
        lead_time=7.0,
    )
    assert edit.id is not None
    review.review_annotation(ws, edit.id, "reject", actor=boss, comment="not neg")

    report = prelabel.assistance_report(ws, pid)

    (model,) = report["models"]
    assert (model["items"], model["rejected"], model["median_seconds"]) == (1, 1, 7.0)
    assert model["counts"]["classes_changed"] == 1
    assert model["precision"] == 0.0
    assert report["unassisted_items"] == 0


def test_switching_to_uncertainty_keeps_the_current_order(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, _ids = _project(ws, queue_order="random", seed=3)

    def ranks() -> list[tuple[int, int]]:
        with ws.db.read() as conn:
            query = select(t.items.c.id, t.items.c.rank).order_by(t.items.c.id)
            return [tuple(row) for row in conn.execute(query)]

    shuffled = ranks()
    projects.update_project(ws, pid, settings={"queue_order": "uncertainty"})

    assert ranks() == shuffled
    assert [r for _, r in shuffled] != sorted(r for _, r in shuffled)


def _retrain_jobs(ws: Workspace, project_id: int) -> list[tuple[int, str, Any]]:
    with ws.db.read() as conn:
        rows = conn.execute(
            select(t.jobs.c.id, t.jobs.c.state, t.jobs.c.params)
            .where((t.jobs.c.project_id == project_id) & (t.jobs.c.kind == "retrain"))
            .order_by(t.jobs.c.id)
        ).all()
    return [(r.id, r.state, r.params["labelled_at"]) for r in rows]


def test_submits_queue_one_retrain_every_n_labels(workspace: Workspace) -> None:
    ws = workspace
    pid, ids = _project(ws, retrain_every=3)
    person = member(ws, pid, "ann", "reviewer")

    _label(ws, ids[:2], ["pos", "neg"], person)
    draft = annotations.create_annotation(
        ws, ids[2], [{"type": "class", "label": "pos"}], actor=person, state="draft"
    )
    assert _retrain_jobs(ws, pid) == []  # two submitted, one draft

    annotations.update_annotation(
        ws, draft.id, version=draft.version, actor=person, state="submitted"
    )
    ((first, state, at),) = _retrain_jobs(ws, pid)
    assert (state, at) == ("queued", 3)

    _label(ws, ids[3:6], ["pos", "neg", "neg"], person)
    assert len(_retrain_jobs(ws, pid)) == 1  # six labelled, one still queued

    assert run_next(ws.db) == first
    assert get_job(ws.db, first)["result"]["labelled"] == 6
    _label(ws, ids[6:7], ["neg"], person)
    assert len(_retrain_jobs(ws, pid)) == 1  # one new since the retrain on six
    _label(ws, ids[7:8], ["neg"], person)
    assert len(_retrain_jobs(ws, pid)) == 1  # two new
    more = add_texts(ws, pid, ["one more"])
    _label(ws, more, ["pos"], person)
    jobs = _retrain_jobs(ws, pid)
    assert [(state, at) for _, state, at in jobs] == [("done", 3), ("queued", 9)]


def test_a_retrain_that_failed_is_not_queued_again_on_every_submit(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws, retrain_every=2)
    person = member(ws, pid, "ann", "reviewer")
    _label(ws, ids[:2], ["pos", "pos"], person)  # one label only: cannot train
    ((job_id, _, _),) = _retrain_jobs(ws, pid)
    run_next(ws.db)
    assert get_job(ws.db, job_id)["state"] == "failed"

    _label(ws, ids[2:3], ["pos"], person)
    assert len(_retrain_jobs(ws, pid)) == 1
    _label(ws, ids[4:5], ["neg"], person)
    assert [at for _, _, at in _retrain_jobs(ws, pid)] == [2, 4]


def test_no_retrain_without_the_setting_and_none_for_image_projects(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, ids = _project(ws)
    person = member(ws, pid, "ann", "reviewer")
    _label(ws, ids, ["pos"] * 4 + ["neg"] * 4, person)
    assert _retrain_jobs(ws, pid) == []

    with pytest.raises(InvalidInput, match="only text projects retrain"):
        projects.create_project(ws, "Photos", "image", settings={"retrain_every": 5})
    photos = projects.create_project(ws, "Photos", "image")
    with pytest.raises(InvalidInput, match="retrain_every"):
        projects.update_project(ws, photos.id, settings={"retrain_every": 5})
    with pytest.raises(InvalidInput, match="greater than or equal to 1"):
        projects.update_project(ws, pid, settings={"retrain_every": 0})


def test_the_model_list_names_kinds_and_trainable_models() -> None:
    image = {m["name"]: m for m in prelabel.list_models("image")}
    text = {m["name"]: m for m in prelabel.list_models("text")}

    assert "opencv-faces.v1" in image and "sklearn-text.v1" not in image
    assert text["sklearn-text.v1"]["trains"] is True
    assert text["rule-patterns.v1"]["trains"] is False
    assert text["http.v1"]["required_options"] == ["url"]
    assert image["opencv-faces.v1"]["required_options"] == []
    assert text["test-keyword.v1"]["kinds"] == ["text"]
    assert text["sklearn-text.v1"]["summary"] == (
        "text classes from TF-IDF and logistic regression."
    )


def test_a_retrain_that_cannot_run_is_refused_before_a_job_is_queued(
    workspace: Workspace,
) -> None:
    pid, ids = _project(workspace)
    spans = projects.create_project(
        workspace,
        "Places",
        "text",
        label_schema={"labels": [{"name": "city"}], "tools": ["span"]},
    ).id

    with pytest.raises(
        InvalidInput, match="cannot retrain: sklearn-text.v1 makes class"
    ):
        prelabel.submit_retrain(workspace, spans)
    # Three labelled items, one label: the classifier has nothing to tell apart.
    for item_id in ids[:3]:
        annotations.create_annotation(
            workspace, item_id, [{"type": "class", "label": "pos"}]
        )
    with pytest.raises(
        InvalidInput, match="it has 3 labelled items using 1 labels"
    ) as caught:
        prelabel.submit_retrain(workspace, pid)
    assert caught.value.details["field"] == "model"
    with workspace.db.read() as conn:
        assert conn.execute(select(t.jobs.c.id)).first() is None

    annotations.create_annotation(
        workspace, ids[4], [{"type": "class", "label": "neg"}]
    )
    job = prelabel.submit_retrain(workspace, pid)
    assert get_job(workspace.db, job)["kind"] == "retrain"
