"""Model-assisted labeling: pre-label a project, retrain, measure assistance.

Pre-labels are annotations with origin "model", state "draft", the model's
name and version and a score per region. Running the same model version again
replaces its earlier predictions on those items (except predictions a person
already started from, which stay so that ``parent_id`` links hold); a newer
version keeps the older ones. The ``prelabel`` and ``retrain`` job kinds wrap
the same functions for background workers.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update

from annotary import plugins
from annotary.core.ids import is_id
from annotary.core.models import (
    Annotation,
    AnnotationState,
    Item,
    Origin,
    Project,
    QueueOrder,
    Role,
    User,
)
from annotary.errors import InvalidInput, NotFound
from annotary.jobs import JobContext, cancel_job, get_job, handler, submit_job
from annotary.media.store import MediaStore
from annotary.prelabel import assist
from annotary.prelabel.active import retrain_due
from annotary.prelabel.base import (
    HOLDOUT_SHARE,
    Prelabeler,
    PrelabelInput,
    load_prelabeler,
)
from annotary.prelabel.textclf import MIN_EXAMPLES, SklearnText, training_pairs
from annotary.prelabel.uncertainty import uncertainty_order
from annotary.services.annotations import check_regions, to_annotation
from annotary.services.audit import record
from annotary.services.items import list_items, to_item
from annotary.services.projects import load_project
from annotary.services.users import get_user, now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import Database
from annotary.storage import tables as t

log = logging.getLogger("annotary.prelabel")

PRELABEL_JOB = "prelabel"
RETRAIN_JOB = "retrain"
TEXT_MODEL = "sklearn-text.v1"
RETRAIN_EVERY = 50
RETRAIN_EVENT = "model.retrain"
FILTERS = ("status", "label", "annotator", "split", "q", "excluded")
_TRUSTED = ("human", "imported", "consensus")
_DONE = ("submitted", "accepted")

Progress = Callable[[int, int], None]


@dataclass
class PrelabelReport:
    """What one pre-labeling run did."""

    model_name: str
    model_version: str
    items: int = 0
    predictions: int = 0
    regions: int = 0
    empty: int = 0
    replaced: int = 0
    kept_linked: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    trained_on: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RetrainReport:
    """One retrain of the project's text classifier: a learning-curve point."""

    model_name: str
    model_version: str
    labelled: int
    trained_on: int
    held_out: int
    accuracy: float | None
    reranked: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _JobWorkspace:
    """The two things the services need from a workspace inside a job."""

    db: Database
    media_root: Path


_SUMMARY_NAME = re.compile(r"^``[^`]+``:\s*")


def list_models(kind: str | None = None) -> list[dict[str, Any]]:
    """The registered pre-labelers, optionally those that read ``kind`` items.

    Returns:
        ``[{name, kinds, summary, trains, required_options, regions}]`` sorted by
        name; ``summary`` is the first line of the factory's docstring,
        ``trains`` says the model learns from the project's own labels first
        and ``required_options`` names the options it cannot run without
        (``http.v1`` needs a ``url``); ``regions`` the region types it makes
        (empty: any, as a remote model's).

    Example:
        >>> [m["name"] for m in list_models("image")][:1]
        ['http.v1']
    """
    found = []
    for name in plugins.prelabelers.names():
        factory = plugins.prelabelers.get(name)
        kinds = sorted(getattr(factory, "kinds", ()) or ())
        if kind is not None and kind not in kinds:
            continue
        doc = (getattr(factory, "__doc__", None) or "").strip()
        trains = isinstance(factory, type) and issubclass(factory, SklearnText)
        found.append(
            {
                "name": name,
                "kinds": kinds,
                "summary": _SUMMARY_NAME.sub("", doc.splitlines()[0]) if doc else "",
                "trains": trains,
                "required_options": required_options(factory),
                "regions": sorted(getattr(factory, "regions", ()) or ()),
            }
        )
    return found


def run_prelabel(
    ws: Workspace,
    project_id: int,
    model: str,
    *,
    actor: User | None = None,
    item_ids: Sequence[int] | None = None,
    batch_size: int = 32,
    options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    **filters: Any,
) -> PrelabelReport:
    """Pre-label items of a project with a registered model.

    Args:
        ws: the workspace.
        project_id: the project whose items to pre-label.
        model: a registered pre-labeler name, e.g. ``"opencv-faces.v1"``.
        actor: who asks (a manager); None is the system.
        item_ids: exactly these items; otherwise every item that matches
            ``filters`` (the filters of ``services.items.list_items``).
        batch_size: items per ``predict`` call and per transaction.
        options: keyword options of the pre-labeler.
        progress: called with (items done, items in all) after each batch;
            an exception from it (a cancelled job) stops the run between
            batches.

    Returns:
        Counts of items, predictions, regions and replaced predictions.

    Raises:
        NotFound: no such project or model.
        PermissionDenied: the actor is not a manager of the project.
        InvalidInput: bad filters or batch size, or the model cannot train.

    Example:
        >>> run_prelabel(ws, 2, "sklearn-text.v1", status="new").predictions
        120
    """
    project = check_request(
        ws,
        project_id,
        model,
        actor=actor,
        item_ids=item_ids,
        batch_size=batch_size,
        options=options,
        **filters,
    )
    ids = _chosen_ids(ws, project_id, actor, item_ids, filters)
    if not ids:
        raise InvalidInput(
            "nothing to pre-label: no item matches the filters", field="filters"
        )
    prelabeler = _load(model, options or {})
    report = PrelabelReport(model_name=prelabeler.name, model_version="")
    if _trainable(prelabeler):
        report.trained_on = _fit_on_project(ws, project, prelabeler)
    report.model_version = prelabeler.version

    log.info(
        "pre-labeling %s items of project %s with %s@%s",
        len(ids),
        project_id,
        prelabeler.name,
        prelabeler.version,
    )
    store = MediaStore(ws.media_root)
    for start in range(0, len(ids), batch_size):
        batch = _inputs(ws, store, project_id, ids[start : start + batch_size])
        predictions = prelabeler.predict(batch, project.label_schema)
        with ws.db.write() as conn:
            _store(conn, project, batch, predictions, report)
        report.items += len(batch)
        if progress is not None:
            progress(report.items, len(ids))

    with ws.db.write() as conn:
        record(
            conn,
            "prelabel.run",
            project_id=project_id,
            user=actor,
            target=f"{report.model_name}@{report.model_version}",
            data=report.as_dict(),
        )
    log.info(
        "pre-labeled %s items: %s predictions, %s replaced",
        report.items,
        report.predictions,
        report.replaced,
    )
    return report


def check_request(
    ws: Workspace,
    project_id: int,
    model: str,
    *,
    actor: User | None = None,
    item_ids: Sequence[int] | None = None,
    batch_size: int = 32,
    options: dict[str, Any] | None = None,
    **filters: Any,
) -> Project:
    """Refuse a pre-labeling request that cannot succeed; the project.

    Checked before any job is queued or any model is loaded: the model
    exists, reads the project's kind of data and gets its required options;
    the filters are known; every chosen item is in the project; and the
    selection is not empty.

    Raises:
        NotFound: no such project or model.
        PermissionDenied: the actor is not a manager of the project.
        InvalidInput: naming the field (``model``, ``options``, ``filters``,
            ``item_ids``, ``batch_size``) that is wrong.
    """
    factory = plugins.prelabelers.get(model)
    if batch_size < 1:
        raise InvalidInput(
            f"batch_size must be at least 1, got {batch_size}", field="batch_size"
        )
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise InvalidInput(
            f"unknown item filter {sorted(unknown)}; use {', '.join(FILTERS)}",
            field="filters",
        )

    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        _check_fit(model, factory, project, options or {})
    _check_trainable(ws, project, model, factory, options or {})
    with ws.db.read() as conn:
        if item_ids is not None:
            _check_items(conn, project, item_ids)
            return project

    page = list_items(ws, project_id, actor=actor, limit=1, **filters)
    if not page["items"]:
        raise InvalidInput(
            f"nothing to pre-label: no item of project {project.name!r} matches "
            f"the filters {filters or '(none)'}",
            field="filters",
        )
    return project


def _check_trainable(
    ws: Workspace, project: Project, model: str, factory: Any, options: dict[str, Any]
) -> None:
    """A model that learns from the project's labels first has enough of them."""
    if not (isinstance(factory, type) and issubclass(factory, SklearnText)):
        return
    needed = int(options.get("min_examples", MIN_EXAMPLES))
    items, annotations = _labelled(ws, project.id)
    _, labels = training_pairs(items, annotations, project.label_schema)
    if len(labels) < needed or len(set(labels)) < 2:
        raise InvalidInput(
            f"{model} learns from this project's labels first: it has "
            f"{len(labels)} labelled items using {len(set(labels))} labels, and "
            f"needs {needed} with at least two labels. Label some items first.",
            field="model",
        )


def _check_fit(
    model: str, factory: Any, project: Project, options: dict[str, Any]
) -> None:
    """The model reads the project's kind of data and takes these options."""
    kinds = sorted(getattr(factory, "kinds", ()) or ())
    if kinds and project.kind not in kinds:
        raise InvalidInput(
            f"{model} reads {', '.join(kinds)} items; project {project.name!r} "
            f"holds {project.kind} items. Choose a model for {project.kind}.",
            field="model",
        )
    makes = sorted(getattr(factory, "regions", ()) or ())
    tools = [str(tool) for tool in project.label_schema.tools]
    if makes and tools and not set(makes) & set(tools):
        raise InvalidInput(
            f"{model} makes {', '.join(makes)} regions; project {project.name!r} "
            f"labels with {', '.join(tools)}. Choose a model that makes those.",
            field="model",
        )
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        missing = [o for o in required_options(factory) if o not in options]
        hint = f"it needs {', '.join(missing)}" if missing else str(exc)
        raise InvalidInput(
            f"{model}: bad options {sorted(options)}: {hint}", field="options"
        ) from None


def required_options(factory: Any) -> list[str]:
    """The keyword options a pre-labeler factory cannot be built without."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def _check_items(conn: Connection, project: Project, item_ids: Sequence[int]) -> None:
    """Every id names an item of the project, and there is at least one."""
    if not item_ids:
        raise InvalidInput("nothing to pre-label: item_ids is empty", field="item_ids")
    wanted = set(item_ids)
    valid = [i for i in wanted if is_id(i)]
    found: set[int] = set()
    for start in range(0, len(valid), 500):
        chunk = valid[start : start + 500]
        found.update(
            conn.execute(
                select(t.items.c.id).where(
                    t.items.c.id.in_(chunk) & (t.items.c.project_id == project.id)
                )
            )
            .scalars()
            .all()
        )
    missing = sorted(wanted - found)
    if missing:
        shown = ", ".join(str(i) for i in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise InvalidInput(
            f"item_ids: no item {shown}{more} in project {project.name!r}",
            field="item_ids",
            unknown=missing[:100],
        )


def _load(model: str, options: dict[str, Any]) -> Prelabeler:
    """The pre-labeler, or InvalidInput naming an option it does not take."""
    try:
        return load_prelabeler(model, **options)
    except TypeError as exc:
        raise InvalidInput(
            f"{model}: bad options {sorted(options)}: {exc}", field="options"
        ) from None


def _chosen_ids(
    ws: Workspace,
    project_id: int,
    actor: User | None,
    item_ids: Sequence[int] | None,
    filters: dict[str, Any],
) -> list[int]:
    if item_ids is not None:
        return list(dict.fromkeys(item_ids))

    ids: list[int] = []
    cursor = None
    while True:
        page = list_items(
            ws, project_id, actor=actor, cursor=cursor, limit=1000, **filters
        )
        ids += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def _trainable(prelabeler: Prelabeler) -> bool:
    return isinstance(prelabeler, SklearnText)


def _fit_on_project(ws: Workspace, project: Project, prelabeler: Prelabeler) -> int:
    """Train on the project's own human labels; the number of items used."""
    items, annotations = _labelled(ws, project.id)
    prelabeler.fit(items, annotations, project.label_schema)
    texts, _labels = training_pairs(items, annotations, project.label_schema)
    return len(texts)


def _labelled(ws: Workspace, project_id: int) -> tuple[list[Item], list[Annotation]]:
    """Items with a finished trusted annotation, and those annotations, oldest first."""
    with ws.db.read() as conn:
        rows = (
            conn.execute(
                select(t.annotations)
                .where(
                    (t.annotations.c.project_id == project_id)
                    & t.annotations.c.origin.in_(_TRUSTED)
                    & t.annotations.c.state.in_(_DONE)
                )
                .order_by(t.annotations.c.id)
            )
            .mappings()
            .all()
        )
        annotations = [to_annotation(row) for row in rows]
        ids = sorted({a.item_id for a in annotations})
        items = _load_items(conn, ids)
    return items, annotations


def _load_items(conn: Connection, ids: Sequence[int]) -> list[Item]:
    items: list[Item] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = conn.execute(select(t.items).where(t.items.c.id.in_(chunk))).mappings()
        items += [to_item(row) for row in rows]
    return sorted(items, key=lambda item: item.id)


def _inputs(
    ws: Workspace, store: MediaStore, project_id: int, ids: Sequence[int]
) -> list[PrelabelInput]:
    with ws.db.read() as conn:
        items = _load_items(conn, ids)
    return [
        PrelabelInput(
            item=item,
            path=store.local_path(item.media) if item.media is not None else None,
        )
        for item in items
    ]


def _store(
    conn: Connection,
    project: Project,
    batch: list[PrelabelInput],
    predictions: Iterable[Any],
    report: PrelabelReport,
) -> None:
    """Write one batch: drop this version's old predictions, insert the new ones."""
    ids = [entry.item.id for entry in batch]
    # check_regions reads the text and the media size; the batch carries both.
    texts = {
        entry.item.id: {
            "text": entry.item.text,
            "media": entry.item.media.model_dump() if entry.item.media else None,
        }
        for entry in batch
    }
    replaced, kept = _drop_old(conn, ids, report.model_name, report.model_version)
    report.replaced += replaced
    report.kept_linked += kept

    stamp = now()
    rows = []
    for prediction in predictions:
        if not prediction.regions:
            report.empty += 1
            continue
        item = cast(Any, texts[prediction.item_id])
        check_regions(project, item, prediction.regions)
        for region in prediction.regions:
            for name in _region_labels(region):
                report.labels[name] = report.labels.get(name, 0) + 1
        report.regions += len(prediction.regions)
        rows.append(_prediction_row(project, prediction, stamp))
    if rows:
        conn.execute(t.annotations.insert(), rows)
    report.predictions += len(rows)


def _prediction_row(project: Project, prediction: Any, stamp: Any) -> dict[str, Any]:
    return {
        "project_id": project.id,
        "item_id": prediction.item_id,
        "user_id": None,
        "author": prediction.model_name,
        "origin": Origin.model.value,
        "model_name": prediction.model_name,
        "model_version": prediction.model_version,
        "parent_id": None,
        "guideline_version": project.guideline_version,
        "state": AnnotationState.draft.value,
        "regions": [r.model_dump(mode="json") for r in prediction.regions],
        "lead_time": None,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _region_labels(region: Any) -> list[str]:
    labels = getattr(region, "labels", None)
    if labels:
        return list(labels)
    return [region.label] if getattr(region, "label", None) else []


def _drop_old(
    conn: Connection, item_ids: list[int], name: str, version: str
) -> tuple[int, int]:
    """Delete this model version's predictions on the items; (deleted, kept).

    Predictions a person's annotation points to (``parent_id``) are kept so
    the link to what they started from survives.
    """
    old = t.annotations.alias("old")
    same = and_(
        old.c.item_id.in_(item_ids),
        old.c.origin == Origin.model.value,
        old.c.model_name == name,
        old.c.model_version == version,
    )
    found = conn.execute(select(old.c.id).where(same)).scalars().all()
    if not found:
        return 0, 0
    linked = set(
        conn.execute(
            select(t.annotations.c.parent_id).where(
                t.annotations.c.parent_id.in_(found)
            )
        )
        .scalars()
        .all()
    )
    doomed = [i for i in found if i not in linked]
    if doomed:
        conn.execute(delete(t.annotations).where(t.annotations.c.id.in_(doomed)))
    return len(doomed), len(found) - len(doomed)


def submit_prelabel(
    ws: Workspace,
    project_id: int,
    model: str,
    *,
    actor: User | None = None,
    item_ids: Sequence[int] | None = None,
    batch_size: int = 32,
    options: dict[str, Any] | None = None,
    **filters: Any,
) -> int:
    """Queue a ``prelabel`` job; its id. Arguments as in ``run_prelabel``.

    The request is checked now (``check_request``), so a job that cannot
    start is never queued.
    """
    check_request(
        ws,
        project_id,
        model,
        actor=actor,
        item_ids=item_ids,
        batch_size=batch_size,
        options=options,
        **filters,
    )
    params = {
        "model": model,
        "actor_id": actor.id if actor else None,
        "item_ids": list(item_ids) if item_ids is not None else None,
        "batch_size": batch_size,
        "options": options or {},
        "filters": filters,
        "media_root": str(ws.media_root),
    }
    return submit_job(ws.db, PRELABEL_JOB, params, project_id=project_id)


def _job_workspace(ctx: JobContext) -> Workspace:
    given = ctx.extra.get("workspace")
    if given is not None:
        return cast(Workspace, given)
    media = Path(ctx.params.get("media_root") or ".")
    return cast(Workspace, _JobWorkspace(ctx.db, media))


def _job_actor(ws: Workspace, ctx: JobContext) -> User | None:
    actor_id = ctx.params.get("actor_id")
    return get_user(ws, actor_id) if actor_id is not None else None


@handler(PRELABEL_JOB)
def _prelabel_job(ctx: JobContext) -> dict[str, Any]:
    ws = _job_workspace(ctx)
    params = ctx.params
    report = run_prelabel(
        ws,
        cast(int, ctx.project_id),
        params["model"],
        actor=_job_actor(ws, ctx),
        item_ids=params.get("item_ids"),
        batch_size=params.get("batch_size", 32),
        options=params.get("options") or {},
        progress=ctx.progress,
        **(params.get("filters") or {}),
    )
    return report.as_dict()


def is_held_out(content_hash: str, share: float = HOLDOUT_SHARE) -> bool:
    """Whether an item's human label is kept out of training to measure accuracy.

    A stable draw from the item's content, so the held-out set only grows as
    labels come in and every retrain is measured on the same kind of items.

    Example:
        >>> is_held_out("abc", share=0.0)
        False
    """
    digest = hashlib.blake2b(f"holdout:{content_hash}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") / 2**64 < share


def train_text_model(
    ws: Workspace,
    project_id: int,
    *,
    holdout: float = HOLDOUT_SHARE,
    options: dict[str, Any] | None = None,
) -> tuple[SklearnText, RetrainReport]:
    """Fit the text classifier on human labels, measured on the held-out ones.

    Returns:
        The fitted model and a report without reranking (``reranked`` 0).

    Raises:
        InvalidInput: too few labelled items, or only one label among them.
    """
    with ws.db.read() as conn:
        project = load_project(conn, project_id)
    items, annotations = _labelled(ws, project_id)
    held = [i for i in items if is_held_out(i.content_hash, holdout)]
    train = [i for i in items if not is_held_out(i.content_hash, holdout)]
    schema = project.label_schema
    model = cast(SklearnText, _load(TEXT_MODEL, options or {}))
    model.fit(train, annotations, schema)

    texts, gold = training_pairs(held, annotations, schema)
    accuracy = None
    if texts:
        probs = model.proba_matrix(texts, schema.names)
        guessed = [schema.names[k] for k in probs.argmax(axis=1)]
        accuracy = sum(g == h for g, h in zip(guessed, gold, strict=True)) / len(gold)
    report = RetrainReport(
        model_name=model.name,
        model_version=model.version,
        labelled=len(training_pairs(items, annotations, schema)[0]),
        trained_on=model.trained_on,
        held_out=len(texts),
        accuracy=accuracy,
        reranked=0,
    )
    return model, report


def retrain(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    holdout: float = HOLDOUT_SHARE,
    method: str = "entropy",
    random_share: float = 0.1,
    options: dict[str, Any] | None = None,
) -> RetrainReport:
    """Retrain the text classifier, record its held-out accuracy, rerank the queue.

    When the project's queue order is "uncertainty", the unlabelled items get
    new ranks from ``uncertainty_order`` (most uncertain first, with
    ``random_share`` of the slots random) so ``queue.next_item`` serves them
    in that order.

    Returns:
        The learning-curve point: labels used, held-out size and accuracy.
    """
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
    model, report = train_text_model(ws, project_id, holdout=holdout, options=options)
    if project.settings.queue_order == QueueOrder.uncertainty:
        report.reranked = _rank_by_uncertainty(ws, project, model, method, random_share)

    with ws.db.write() as conn:
        record(
            conn,
            RETRAIN_EVENT,
            project_id=project_id,
            user=actor,
            target=f"{report.model_name}@{report.model_version}",
            data=report.as_dict(),
        )
    log.info(
        "retrained %s on %s labels: held-out accuracy %s on %s, %s reranked",
        report.model_version,
        report.trained_on,
        report.accuracy,
        report.held_out,
        report.reranked,
    )
    return report


def _rank_by_uncertainty(
    ws: Workspace,
    project: Project,
    model: SklearnText,
    method: str,
    random_share: float,
) -> int:
    """Give unlabelled items ranks 0..n-1 by uncertainty; labelled ones follow."""
    with ws.db.read() as conn:
        rows = conn.execute(
            select(t.items.c.id, t.items.c.text, t.items.c.annotation_count)
            .where(t.items.c.project_id == project.id)
            .order_by(t.items.c.rank, t.items.c.id)
        ).all()
    open_rows = [r for r in rows if r.annotation_count == 0]
    done_rows = [r for r in rows if r.annotation_count > 0]
    ranked: list[int] = []
    if open_rows:
        probs = model.proba_matrix(
            [r.text or "" for r in open_rows], project.label_schema.names
        )
        order = uncertainty_order(
            probs,
            method=method,
            random_share=random_share,
            seed=project.settings.seed,
        )
        ranked = [open_rows[k].id for k in order]
    ranked += [r.id for r in done_rows]

    with ws.db.write() as conn:
        set_ranks(conn, ranked)
    return len(open_rows)


def set_ranks(conn: Connection, ordered_ids: Sequence[int]) -> None:
    """Queue positions 0, 1, 2 ... in the given order."""
    if not ordered_ids:
        return
    conn.execute(
        update(t.items)
        .where(t.items.c.id == bindparam("i"))
        .values(rank=bindparam("r")),
        [{"i": item_id, "r": n} for n, item_id in enumerate(ordered_ids)],
    )


def learning_curve(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> list[dict[str, Any]]:
    """Every recorded retrain of the project, oldest first."""
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.annotator)
        rows = conn.execute(
            select(t.audit_events.c.data, t.audit_events.c.created_at)
            .where(
                (t.audit_events.c.project_id == project_id)
                & (t.audit_events.c.action == RETRAIN_EVENT)
            )
            .order_by(t.audit_events.c.id)
        ).all()
    return [{**data, "at": created.isoformat()} for data, created in rows]


def labelled_count(ws: Workspace, project_id: int) -> int:
    """Items with at least one finished human (or imported) label."""
    with ws.db.read() as conn:
        return _labelled_items(conn, project_id)


def _labelled_items(conn: Connection, project_id: int) -> int:
    return int(
        conn.execute(
            select(func.count(func.distinct(t.annotations.c.item_id))).where(
                (t.annotations.c.project_id == project_id)
                & t.annotations.c.origin.in_(_TRUSTED)
                & t.annotations.c.state.in_(_DONE)
            )
        ).scalar()
        or 0
    )


def maybe_schedule_retrain(
    ws: Workspace, project_id: int, *, every: int | None = None
) -> int | None:
    """Queue a ``retrain`` job when ``every`` new labels came in since the last.

    Called by ``services.annotations`` after a person submits. ``every``
    defaults to the project's ``retrain_every`` setting (None: never). The
    count since the last retrain starts from the larger of what the last
    recorded retrain trained with and what the last retrain job (even a
    failed one) was queued at, so a retrain that cannot succeed yet is not
    queued again on every submit. The check and the insert share one write
    transaction (the project row locked on PostgreSQL): at most one retrain
    of a project waits or runs at a time.

    Returns:
        The new job's id, or None when no retrain is due.
    """
    with ws.db.write() as conn:
        query = select(t.projects.c.kind).where(t.projects.c.id == project_id)
        if not ws.db.is_sqlite:
            query = query.with_for_update()
        if conn.execute(query).scalar() is None:
            raise NotFound(f"no project with id {project_id}")
        if every is None:
            every = load_project(conn, project_id).settings.retrain_every
            if every is None:
                return None

        jobs = conn.execute(
            select(t.jobs.c.state, t.jobs.c.params)
            .where((t.jobs.c.project_id == project_id) & (t.jobs.c.kind == RETRAIN_JOB))
            .order_by(t.jobs.c.id.desc())
            .limit(1)
        ).first()
        if jobs is not None and jobs.state in ("queued", "running"):
            return None
        queued_at = int((jobs.params or {}).get("labelled_at", 0)) if jobs else 0
        last = max(queued_at, _last_trained_with(conn, project_id))
        labelled = _labelled_items(conn, project_id)
        if not retrain_due(last, labelled, every):
            return None
        params = _retrain_params(None, ws, labelled_at=labelled)
        job_id = submit_job(
            ws.db, RETRAIN_JOB, params, project_id=project_id, conn=conn
        )
    log.info(
        "retrain of project %s queued as job %s: %s labelled items, %s at the last",
        project_id,
        job_id,
        labelled,
        last,
    )
    return job_id


def _last_trained_with(conn: Connection, project_id: int) -> int:
    data = conn.execute(
        select(t.audit_events.c.data)
        .where(
            (t.audit_events.c.project_id == project_id)
            & (t.audit_events.c.action == RETRAIN_EVENT)
        )
        .order_by(t.audit_events.c.id.desc())
        .limit(1)
    ).scalar()
    return int((data or {}).get("labelled", 0))


def _retrain_params(
    actor: User | None,
    ws: Workspace,
    *,
    options: dict[str, Any] | None = None,
    holdout: float = HOLDOUT_SHARE,
    method: str = "entropy",
    random_share: float = 0.1,
    labelled_at: int | None = None,
) -> dict[str, Any]:
    return {
        "actor_id": actor.id if actor else None,
        "options": options or {},
        "holdout": holdout,
        "method": method,
        "random_share": random_share,
        "media_root": str(ws.media_root),
        "labelled_at": labelled_at,
    }


def submit_retrain(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    options: dict[str, Any] | None = None,
    holdout: float = HOLDOUT_SHARE,
    method: str = "entropy",
    random_share: float = 0.1,
) -> int:
    """Queue a ``retrain`` job; its id. Arguments as in ``retrain``.

    Raises:
        InvalidInput: the project's kind or tools do not suit the text
            classifier, or it has too few labels to learn from: refused here
            rather than failing inside the job.
    """
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        labelled = _labelled_items(conn, project_id)
    factory = plugins.prelabelers.get(TEXT_MODEL)
    try:
        _check_fit(TEXT_MODEL, factory, project, options or {})
        _check_trainable(ws, project, TEXT_MODEL, factory, options or {})
    except InvalidInput as exc:
        raise InvalidInput(f"cannot retrain: {exc.message}", **exc.details) from exc
    params = _retrain_params(
        actor,
        ws,
        options=options,
        holdout=holdout,
        method=method,
        random_share=random_share,
        labelled_at=labelled,
    )
    return submit_job(ws.db, RETRAIN_JOB, params, project_id=project_id)


@handler(RETRAIN_JOB)
def _retrain_job(ctx: JobContext) -> dict[str, Any]:
    ws = _job_workspace(ctx)
    ctx.progress(0, 1)
    report = retrain(
        ws,
        cast(int, ctx.project_id),
        actor=_job_actor(ws, ctx),
        holdout=ctx.params.get("holdout", HOLDOUT_SHARE),
        method=ctx.params.get("method", "entropy"),
        random_share=ctx.params.get("random_share", 0.1),
        options=ctx.params.get("options") or {},
    )
    ctx.progress(1, 1)
    return report.as_dict()


def assistance_report(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    match_iou: float = 0.5,
    kept_iou: float = 0.98,
) -> dict[str, Any]:
    """What people changed in each model version's suggestions, and time saved.

    Every submitted, accepted or rejected human annotation whose
    ``parent_id`` is a model prediction is compared with it
    (``prelabel.assist.compare_regions``) and the counts summed per model
    version; ``rejected`` counts those a reviewer rejected afterwards.
    Annotations without a parent give the time per item without suggestions.

    Returns:
        ``{"models": [{model_name, model_version, items, counts, precision,
        final_share, median_seconds, rejected}], "unassisted_items",
        "unassisted_median_seconds"}``.
    """
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        rows = (
            conn.execute(
                select(t.annotations)
                .where(t.annotations.c.project_id == project_id)
                .order_by(t.annotations.c.id)
            )
            .mappings()
            .all()
        )
    report = assist.assistance_report(
        [to_annotation(row) for row in rows], match_iou=match_iou, kept_iou=kept_iou
    )
    return {
        "models": [
            {
                "model_name": m.model_name,
                "model_version": m.model_version,
                "items": m.items,
                "counts": m.counts.as_dict(),
                "precision": m.precision,
                "final_share": m.final_share,
                "median_seconds": m.median_seconds,
                "rejected": m.rejected,
            }
            for m in report.models
        ],
        "unassisted_items": report.unassisted_items,
        "unassisted_median_seconds": report.unassisted_median_seconds,
    }


JOB_FIELDS = (
    "id",
    "project_id",
    "kind",
    "state",
    "progress",
    "total",
    "result",
    "error",
    "created_at",
    "updated_at",
)


def project_job(
    ws: Workspace, job_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """A job's state, progress and result, for managers of its project.

    Raises:
        NotFound: no such job, or the actor is no member of its project.
        PermissionDenied: the actor is a member below manager.
    """
    job = get_job(ws.db, job_id)
    with ws.db.read() as conn:
        if job["project_id"] is None:
            if actor is not None and not actor.is_admin:
                raise NotFound(f"no job with id {job_id}")
        else:
            require_role(conn, actor, job["project_id"], Role.manager)
    return {name: job.get(name) for name in JOB_FIELDS}


def cancel_project_job(
    ws: Workspace, job_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """Cancel a queued or running job; a finished one stays as it was."""
    project_job(ws, job_id, actor=actor)
    cancel_job(ws.db, job_id)
    return project_job(ws, job_id, actor=actor)
