"""Quality of a project's labels: agreement, gold accuracy, reviews, throughput.

`quality_report` reads the project's finished human work once and feeds the
pure metrics of `annotary.quality`; every number comes with the item ids
behind it so the dashboard can open them, and undefined metrics come out as
``{"value": None, "undefined": reason}``, never NaN.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from annotary.core.models import Project, Role, User
from annotary.core.regions import Region
from annotary.errors import InvalidInput, NotFound
from annotary.quality import agreement as ag
from annotary.quality.annotators import annotator_stats
from annotary.quality.boxes import pairwise_box_agreement
from annotary.quality.gold import gold_accuracy
from annotary.quality.pairs import shared_items
from annotary.quality.ratings import RatingTable, rating_table, seen_categories
from annotary.quality.result import MetricResult
from annotary.quality.shapes import pairwise_shape_agreement, shapes_agree
from annotary.quality.spans import span_agreement, span_f1, token_kappa
from annotary.quality.transcripts import transcript_agreement
from annotary.services import gold as gold_service
from annotary.services.annotations import annotation_row, parse_regions, to_annotation
from annotary.services.projects import load_project
from annotary.services.quality_consensus import create_consensus
from annotary.services.quality_data import (
    Done,
    Unattributed,
    UnattributedColumn,
    Work,
    author_of,
    boxes_agree,
    gold_correctness,
    gold_regions,
    load_work,
    matches_gold,
    rater_columns,
)
from annotary.services.quality_labels import find_label_errors
from annotary.services.users import require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

log = logging.getLogger("annotary.services")

__all__ = [
    "create_consensus",
    "find_label_errors",
    "gold_feedback",
    "matches_gold",
    "metric",
    "quality_report",
    "set_project_gold",
]

Json = dict[str, Any]


def metric(result: MetricResult) -> Json:
    """A metric as JSON: ``{"value", "n"}`` plus ``"undefined"`` with the reason."""
    out: Json = {"value": result.value, "n": result.n}
    if result.value is None:
        out["undefined"] = result.undefined_reason
    return out


def quality_report(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    guideline_version: int | None = None,
    iou_threshold: float = 0.5,
) -> Json:
    """The quality of a project's labels, JSON-ready.

    Args:
        ws: The workspace.
        project_id: The project.
        actor: Who asks; reviewers and above may read it.
        guideline_version: Only annotations made under this guideline version.
        iou_threshold: Least IoU for two boxes to match.

    Returns:
        Keys ``project``, ``filters``, ``counts``, ``agreement`` (``classes``,
        ``boxes``, ``shapes`` (polygons and masks), ``spans``, ``transcripts``
        as the data has them, each with ``overall``,
        ``per_label``, ``per_pair`` and ``per_guideline_version``),
        ``disagreements``, ``confusion``, ``gold``, ``rejection``,
        ``timeline`` and ``annotators`` (the annotator cards).
        Annotations with no annotator (`Unattributed`) count in the
        item-level numbers (the class metrics over all raters, the item
        lists and disagreements, gold overall, the timeline) but in no card,
        pair table or confusion matrix; ``counts.unattributed`` says how
        many there are (absent when none) and ``counts.annotators`` counts
        people only.

    Raises:
        PermissionDenied: The actor is not a reviewer or above.
        InvalidInput: ``iou_threshold`` is not in (0, 1].
    """
    if not 0 < iou_threshold <= 1:
        raise InvalidInput(
            f"iou_threshold {iou_threshold!r} is not in (0, 1]", field="iou_threshold"
        )
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.reviewer)
        project = load_project(conn, project_id)
        work = load_work(conn, project, guideline_version)
        gold = gold_regions(conn, project_id)
        reviews = _review_rows(conn, project_id, guideline_version)
        versions = _versions(conn, project_id)

    correct = gold_correctness(work, gold, project, iou_threshold)
    report: Json = {
        "project": {"id": project.id, "name": project.name, "kind": project.kind},
        "filters": {
            "guideline_version": guideline_version,
            "iou_threshold": iou_threshold,
        },
        "counts": {
            "items": len({a.item_id for a in work.annotations}),
            "annotations": len(work.annotations),
            "annotators": len(work.annotators),
            "gold_items": len(gold),
        },
        "agreement": _agreement(work, project, iou_threshold),
        "disagreements": _disagreements(work, iou_threshold),
        "confusion": _confusion(work),
        "gold": _gold_section(work, correct),
        "rejection": _rejection(reviews),
        "timeline": _timeline(work.annotations),
        "annotators": _cards(work, correct, iou_threshold),
    }
    if work.unattributed:
        report["counts"]["unattributed"] = work.unattributed
    if guideline_version is None and len(versions) > 1:
        report["per_guideline_version"] = _per_version(
            ws, project, versions, gold, iou_threshold
        )
    log.info(
        "quality report for project %s: %s annotations",
        project_id,
        len(work.annotations),
    )
    return report


def _per_version(
    ws: Workspace,
    project: Project,
    versions: list[int],
    gold: dict[int, list[Region]],
    iou_threshold: float,
) -> dict[str, Json]:
    out = {}
    with ws.db.read() as conn:
        for version in versions:
            work = load_work(conn, project, version)
            correct = gold_correctness(work, gold, project, iou_threshold)
            out[str(version)] = {
                "annotations": len(work.annotations),
                "agreement": _overall_only(_agreement(work, project, iou_threshold)),
                "gold": _gold_section(work, correct),
            }
    return out


def _overall_only(section: Json) -> Json:
    return {kind: part["overall"] for kind, part in section.items()}


def _versions(conn: Connection, project_id: int) -> list[int]:
    rows = conn.execute(
        select(t.annotations.c.guideline_version)
        .where(
            (t.annotations.c.project_id == project_id)
            & (t.annotations.c.origin == "human")
            & t.annotations.c.guideline_version.is_not(None)
        )
        .distinct()
    ).scalars()
    return sorted(rows)


# --- agreement ---------------------------------------------------------------


def _agreement(work: Work, project: Project, iou_threshold: float) -> Json:
    out: Json = {}
    if work.classes:
        out["classes"] = _class_agreement(work, project)
    if work.boxes:
        out["boxes"] = _box_agreement(work, iou_threshold)
    if work.shapes:
        out["shapes"] = _shape_agreement(work, iou_threshold)
    if work.spans:
        out["spans"] = _span_agreement(work)
    if work.transcripts:
        out["transcripts"] = _transcript_agreement(work)
    return out


def _class_agreement(work: Work, project: Project) -> Json:
    multi = project.label_schema.multi_label
    level: ag.Level = "ordinal" if project.label_schema.ordinal else "nominal"
    categories = _categories(project, work.classes, multi)
    disagreeing = _disagreeing_class_items(work.classes)
    rated = rater_columns(work.classes)
    if multi:
        tables = _multi_label_tables(rated, categories)
        overall = _mean_metrics(
            [_class_metrics(tab) for tab in tables.values() if tab.items]
        )
        per_label_tables = tables
    else:
        table = rating_table(rated, categories)
        overall = _class_metrics(table, level)
        per_label_tables = _one_vs_rest(table)

    per_label = {}
    for label, tab in per_label_tables.items():
        per_label[str(label)] = {
            **{k: metric(v) for k, v in _class_metrics(tab).items()},
            "items": [int(i) for i in _items_using(work.classes, label, multi)],
            "disagreements": [
                int(i) for i in ag.disagreeing_items(tab) if i in disagreeing
            ],
        }
    return {
        "level": level,
        "multi_label": multi,
        "categories": [str(c) for c in categories],
        "overall": {k: metric(v) for k, v in overall.items()},
        "items": sorted(int(i) for i in work.classes),
        "disagreements": sorted(int(i) for i in disagreeing),
        "per_label": per_label,
        "per_pair": _class_pairs(work.people(work.classes), multi, level, categories),
    }


def _class_metrics(
    table: RatingTable, level: ag.Level = "nominal"
) -> dict[str, MetricResult]:
    """`class_agreement`; Cohen's kappa only between two people (a pair metric)."""
    report = ag.class_agreement(table, level)
    if any(isinstance(a, UnattributedColumn) for a in table.annotators):
        report.pop("cohen_kappa", None)
    return report


def _categories(
    project: Project, classes: dict[Any, dict[Hashable, Any]], multi: bool
) -> list[str]:
    names = [label.name for label in project.label_schema.labels]
    seen: set[str] = set()
    for row in classes.values():
        for answer in row.values():
            seen.update(answer if multi else [answer])
    return names + sorted(seen - set(names))


def _one_vs_rest(table: RatingTable) -> dict[Hashable, RatingTable]:
    rated = table.codes != -1
    out = {}
    for k, category in enumerate(table.categories):
        codes = (table.codes == k).astype("int64")
        codes[~rated] = -1
        out[category] = RatingTable(table.items, table.annotators, (False, True), codes)
    return out


def _multi_label_tables(
    classes: dict[Any, dict[Hashable, Any]], categories: list[str]
) -> dict[Hashable, RatingTable]:
    return {
        label: rating_table(
            {
                item: {a: label in answer for a, answer in row.items()}
                for item, row in classes.items()
            },
            (False, True),
        )
        for label in categories
    }


def _mean_metrics(reports: list[dict[str, MetricResult]]) -> dict[str, MetricResult]:
    names = dict.fromkeys(name for report in reports for name in report)
    out = {}
    for name in names:
        values = [r[name] for r in reports if name in r and r[name].defined]
        if values:
            mean = statistics.fmean(v.value for v in values if v.value is not None)
            out[name] = MetricResult.of(mean, sum(v.n for v in values))
        else:
            out[name] = MetricResult.undefined(f"{name} is undefined for every label")
    return out


def _items_using(
    classes: dict[Any, dict[Hashable, Any]], label: Hashable, multi: bool
) -> list[int]:
    return sorted(
        item
        for item, row in classes.items()
        if any((label in a) if multi else a == label for a in row.values())
    )


def _disagreeing_class_items(classes: dict[Any, dict[Hashable, Any]]) -> set[int]:
    return {item for item, row in classes.items() if len(set(row.values())) > 1}


def _class_pairs(
    classes: dict[Any, dict[Hashable, Any]],
    multi: bool,
    level: str,
    categories: list[str],
) -> list[Json]:
    weights: ag.Weights = None if level == "nominal" else "quadratic"
    out = []
    for (a, b), items in shared_items(classes).items():
        shared = {i: classes[i] for i in items}
        differ = sorted(i for i, row in shared.items() if row[a] != row[b])
        pair: Json = {
            "first": str(a),
            "second": str(b),
            "items": sorted(shared),
            "disagreements": differ,
            "percent_agreement": metric(
                MetricResult.of(1 - len(differ) / len(shared), len(shared))
            ),
        }
        if not multi:
            table = rating_table(
                {i: {a: row[a], b: row[b]} for i, row in shared.items()}, categories
            )
            pair["cohen_kappa"] = metric(ag.cohen_kappa(table, a, b, weights))
        out.append(pair)
    return out


def _box_agreement(work: Work, iou_threshold: float) -> Json:
    return _matched_agreement(
        work.boxes,
        work.people(work.boxes),
        lambda drawn: pairwise_box_agreement(drawn, iou_threshold),
        lambda item, a, b: boxes_agree(a, b, iou_threshold),
        iou_threshold,
    )


def _shape_agreement(work: Work, iou_threshold: float) -> Json:
    """Polygons and masks, matched by IoU on the image grid."""
    return _matched_agreement(
        work.shapes,
        work.people(work.shapes),
        lambda drawn: pairwise_shape_agreement(drawn, iou_threshold, work.sizes),
        lambda item, a, b: shapes_agree(a, b, iou_threshold, work.sizes.get(item)),
        iou_threshold,
    )


def _matched_agreement(
    drawn: dict[Any, dict[Hashable, list[Any]]],
    by_people: dict[Any, dict[Hashable, list[Any]]],
    pairwise: Callable[[dict[Any, dict[Hashable, list[Any]]]], dict[Any, Any]],
    agree: Callable[[Any, list[Any], list[Any]], bool],
    iou_threshold: float,
) -> Json:
    """Agreement of regions matched by IoU (boxes, shapes), JSON-ready.

    ``by_people`` is ``drawn`` less the unattributed work: the pairs read it.
    """
    shared_of = shared_items(by_people)
    per_pair = []
    for (a, b), result in pairwise(by_people).items():
        shared = sorted(shared_of[a, b])
        differ = [i for i in shared if not agree(i, drawn[i][a], drawn[i][b])]
        per_pair.append(
            {
                "first": str(a),
                "second": str(b),
                **_box_json(result),
                "items": shared,
                "disagreements": differ,
            }
        )
    return {
        "iou_threshold": iou_threshold,
        "overall": _pooled(per_pair, ("precision", "recall", "f1", "mean_iou")),
        "items": sorted(drawn),
        "disagreements": sorted({i for p in per_pair for i in p["disagreements"]}),
        "per_label": _matched_per_label(drawn, by_people, pairwise),
        "per_pair": per_pair,
    }


def _box_json(result: Any) -> Json:
    names = ("precision", "recall", "f1", "mean_iou", "label_agreement")
    out: Json = {name: metric(getattr(result, name)) for name in names}
    out.update(
        matched=result.matched,
        first_count=result.first_count,
        second_count=result.second_count,
        images=result.images,
    )
    return out


def _matched_per_label(
    drawn: dict[Any, dict[Hashable, list[Any]]],
    by_people: dict[Any, dict[Hashable, list[Any]]],
    pairwise: Callable[[dict[Any, dict[Hashable, list[Any]]]], dict[Any, Any]],
) -> Json:
    labels = sorted(
        {r.label or "" for row in drawn.values() for rs in row.values() for r in rs}
    )
    out = {}
    for label in labels:
        subset = _labelled(drawn, label)
        rows = [
            _box_json(result)
            for result in pairwise(_labelled(by_people, label)).values()
            if result.images
        ]
        items = sorted(i for i, row in subset.items() if any(rs for rs in row.values()))
        out[label] = {**_pooled(rows, ("f1", "mean_iou")), "items": items}
    return out


def _labelled(
    rows: dict[Any, dict[Hashable, list[Any]]], label: str
) -> dict[Any, dict[Hashable, list[Any]]]:
    """Each author's regions with this label ("" for none)."""
    return {
        item: {a: [r for r in rs if (r.label or "") == label] for a, rs in row.items()}
        for item, row in rows.items()
    }


def _pooled(rows: list[Json], names: Iterable[str]) -> Json:
    """Mean of each pair metric over the pairs where it is defined."""
    out: Json = {}
    for name in names:
        values = [r[name]["value"] for r in rows if r[name]["value"] is not None]
        if values:
            out[name] = {"value": statistics.fmean(values), "n": len(values)}
        else:
            out[name] = {
                "value": None,
                "n": 0,
                "undefined": "no pair of annotators shares an item with data",
            }
    return out


def _span_agreement(work: Work) -> Json:
    marked = work.people(work.spans)
    exact = span_agreement(marked, "exact")
    overlap = span_agreement(marked, "overlap")
    shared_of = shared_items(marked)
    per_pair = []
    for (a, b), result in exact.items():
        shared = sorted(shared_of[a, b])
        differ = [
            i
            for i in shared
            if span_f1(marked[i][a], marked[i][b]).f1.value not in (1.0, None)
            or len(marked[i][a]) != len(marked[i][b])
        ]
        pair_spans = {i: {a: marked[i][a], b: marked[i][b]} for i in shared}
        per_pair.append(
            {
                "first": str(a),
                "second": str(b),
                "exact_f1": metric(result.f1),
                "overlap_f1": metric(overlap[a, b].f1),
                "token_kappa": metric(token_kappa(work.texts, pair_spans)),
                "items": shared,
                "disagreements": differ,
            }
        )
    overall = _pooled(per_pair, ("exact_f1", "overlap_f1", "token_kappa"))
    return {
        "overall": overall,
        "items": sorted(work.spans),
        "disagreements": sorted({i for p in per_pair for i in p["disagreements"]}),
        "per_label": _span_per_label(work),
        "per_pair": per_pair,
    }


def _span_per_label(work: Work) -> Json:
    labels = sorted(
        {
            s.label or ""
            for row in work.spans.values()
            for ss in row.values()
            for s in ss
        }
    )
    marked = work.people(work.spans)
    out = {}
    for label in labels:
        subset = _labelled(work.spans, label)
        rows = [
            {"exact_f1": metric(r.f1)}
            for r in span_agreement(_labelled(marked, label)).values()
        ]
        items = sorted(i for i, row in subset.items() if any(row.values()))
        out[label] = {**_pooled(rows, ("exact_f1",)), "items": items}
    return out


def _transcript_agreement(work: Work) -> Json:
    """WER and CER per pair (the first annotator is the reference); lower is closer."""
    said = work.people(work.transcripts)
    shared_of = shared_items(said)
    per_pair = []
    for (a, b), rates in transcript_agreement(said).items():
        shared = sorted(shared_of[a, b])
        differ = [i for i in shared if said[i][a] != said[i][b]]
        per_pair.append(
            {
                "first": str(a),
                "second": str(b),
                "wer": metric(rates["wer"]),
                "cer": metric(rates["cer"]),
                "items": shared,
                "disagreements": differ,
            }
        )
    return {
        "overall": _pooled(per_pair, ("wer", "cer")),
        "items": sorted(work.transcripts),
        "disagreements": sorted({i for p in per_pair for i in p["disagreements"]}),
        "per_label": {},
        "per_pair": per_pair,
    }


def _disagreements(work: Work, iou_threshold: float) -> list[Json]:
    """Items where annotators differ, with the annotations to open side by side."""
    found: dict[int, set[str]] = {}
    for item in _disagreeing_class_items(work.classes):
        found.setdefault(item, set()).add("classes")
    for item, drawn in work.boxes.items():
        for a, b in combinations(drawn, 2):
            if not boxes_agree(drawn[a], drawn[b], iou_threshold):
                found.setdefault(item, set()).add("boxes")
    for item, shapes in work.shapes.items():
        size = work.sizes.get(item)
        for a, b in combinations(shapes, 2):
            if not shapes_agree(shapes[a], shapes[b], iou_threshold, size):
                found.setdefault(item, set()).add("shapes")
    for item, said in work.transcripts.items():
        if len(set(said.values())) > 1:
            found.setdefault(item, set()).add("transcripts")
    for item, marked in work.spans.items():
        keys = {
            frozenset((s.start, s.end, s.label) for s in ss) for ss in marked.values()
        }
        if len(keys) > 1:
            found.setdefault(item, set()).add("spans")
    authors_of: dict[int, list[Hashable]] = {}
    for i, a in work.ids:
        authors_of.setdefault(i, []).append(a)
    out = []
    for item in sorted(found):
        authors = authors_of[item]
        out.append(
            {
                "item_id": item,
                "kinds": sorted(found[item]),
                "annotations": {str(a): work.ids[item, a] for a in authors},
                "labels": {
                    str(a): _label_json(work.classes.get(item, {}).get(a))
                    for a in authors
                    if a in work.classes.get(item, {})
                },
            }
        )
    return out


def _label_json(answer: Any) -> Any:
    return sorted(answer) if isinstance(answer, frozenset) else answer


def _confusion(work: Work) -> list[Json]:
    """A confusion matrix between each pair of people (single-label classes)."""
    answers = {
        item: row
        for item, row in work.people(work.classes).items()
        if not any(isinstance(a, frozenset) for a in row.values())
    }
    if not answers:
        return []
    categories = seen_categories(answers)
    code = {category: k for k, category in enumerate(categories)}
    q = len(categories)
    out = []
    for (a, b), items in shared_items(answers).items():
        flat = [code[answers[i][a]] * q + code[answers[i][b]] for i in items]
        cells: dict[int, list[int]] = {}
        for item, cell in zip(items, flat, strict=True):
            cells.setdefault(cell, []).append(item)
        matrix = np.bincount(flat, minlength=q * q).reshape(q, q)
        out.append(
            {
                "first": str(a),
                "second": str(b),
                "categories": [str(c) for c in categories],
                "matrix": matrix.tolist(),
                "items": {
                    f"{categories[cell // q]}|{categories[cell % q]}": sorted(ids)
                    for cell, ids in cells.items()
                },
            }
        )
    return out


# --- gold --------------------------------------------------------------------


def _gold_section(work: Work, correct: dict[Any, dict[Hashable, bool]]) -> Json:
    accuracy = gold_accuracy(correct, dict.fromkeys(correct, True))
    per_annotator = {}
    for annotator, result in accuracy.items():
        if isinstance(annotator, Unattributed):
            continue
        answered = sorted(i for i, row in correct.items() if annotator in row)
        per_annotator[str(annotator)] = {
            **metric(result),
            "items": answered,
            "wrong": [i for i in answered if not correct[i][annotator]],
        }
    answered_all = [ok for row in correct.values() for ok in row.values()]
    overall = (
        MetricResult.of(sum(answered_all) / len(answered_all), len(answered_all))
        if answered_all
        else MetricResult.undefined("no gold item has been annotated")
    )
    del work
    return {"overall": metric(overall), "per_annotator": per_annotator}


# --- reviews and time --------------------------------------------------------


def _review_rows(
    conn: Connection, project_id: int, guideline_version: int | None
) -> list[tuple[int, int, str]]:
    """``(annotation id, item id, last decision)`` per reviewed annotation."""
    query = (
        select(t.reviews.c.annotation_id, t.annotations.c.item_id, t.reviews.c.decision)
        .join(t.annotations, t.annotations.c.id == t.reviews.c.annotation_id)
        .where(t.annotations.c.project_id == project_id)
        .order_by(t.reviews.c.id)
    )
    if guideline_version is not None:
        query = query.where(t.annotations.c.guideline_version == guideline_version)
    last: dict[int, tuple[int, int, str]] = {}
    for annotation_id, item_id, decision in conn.execute(query).all():
        last[annotation_id] = (annotation_id, item_id, decision)
    return list(last.values())


def _rejection(reviews: list[tuple[int, int, str]]) -> Json:
    rejected = [(aid, item) for aid, item, decision in reviews if decision == "reject"]
    rate = (
        MetricResult.of(len(rejected) / len(reviews), len(reviews))
        if reviews
        else MetricResult.undefined("no annotation has been reviewed")
    )
    counts: dict[str, int] = {}
    for _, _, decision in reviews:
        counts[decision] = counts.get(decision, 0) + 1
    return {
        "rate": metric(rate),
        "reviewed": len(reviews),
        "decisions": counts,
        "annotations": [aid for aid, _ in rejected],
        "items": sorted({item for _, item in rejected}),
    }


def _timeline(annotations: list[Done]) -> list[Json]:
    """Per day: annotations submitted, median lead time and the items."""
    days: dict[str, list[Done]] = {}
    for annotation in annotations:
        if annotation.created_at is not None:
            days.setdefault(annotation.created_at.date().isoformat(), []).append(
                annotation
            )
    out = []
    for day in sorted(days):
        done = days[day]
        leads = [a.lead_time for a in done if a.lead_time is not None]
        median = (
            MetricResult.of(statistics.median(leads), len(leads))
            if leads
            else MetricResult.undefined("no lead time was recorded that day")
        )
        out.append(
            {
                "day": day,
                "annotations": len(done),
                "median_lead_time": metric(median),
                "items": sorted({a.item_id for a in done}),
            }
        )
    return out


def _cards(
    work: Work, correct: dict[Any, dict[Hashable, bool]], iou_threshold: float
) -> list[Json]:
    records = [
        (author, a.created_at or datetime.min, a.lead_time)
        for a in work.annotations
        if not isinstance(author := author_of(a), Unattributed)
    ]
    stats = annotator_stats(records)
    gold = _gold_section(work, correct)["per_annotator"]
    with_others = _agreement_with_others(work, iou_threshold)
    items_of: dict[Hashable, list[int]] = {}
    for item, author in work.ids:
        items_of.setdefault(author, []).append(item)
    cards = []
    for annotator in work.annotators:
        s = stats[annotator]
        cards.append(
            {
                "annotator": str(annotator),
                "annotations": s.items,
                "items_per_hour": metric(s.items_per_hour),
                "median_lead_time": metric(s.median_lead_time),
                "agreement_with_others": metric(with_others[annotator][0]),
                "disagreements": with_others[annotator][1],
                "gold_accuracy": gold.get(
                    str(annotator),
                    {
                        "value": None,
                        "n": 0,
                        "undefined": "the annotator answered no gold item",
                    },
                ),
                "items": sorted(items_of.get(annotator, [])),
            }
        )
    return cards


def _agreement_with_others(
    work: Work, iou_threshold: float
) -> dict[Hashable, tuple[MetricResult, list[int]]]:
    """Share of (item, other annotator) comparisons where the annotator agrees."""
    agree: dict[Hashable, list[int]] = {a: [0, 0] for a in work.annotators}
    differ: dict[Hashable, set[int]] = {a: set() for a in work.annotators}
    for item, a, b, same in _comparisons(work, iou_threshold):
        for who in (a, b):
            agree[who][0] += same
            agree[who][1] += 1
            if not same:
                differ[who].add(item)
    out = {}
    for annotator, (hits, total) in agree.items():
        result = (
            MetricResult.of(hits / total, total)
            if total
            else MetricResult.undefined("no other annotator labelled the same items")
        )
        out[annotator] = (result, sorted(differ[annotator]))
    return out


def _comparisons(
    work: Work, iou_threshold: float
) -> Iterable[tuple[int, Hashable, Hashable, bool]]:
    """``(item, a, b, agree)`` for each pair of people on each item."""
    for item, row in work.people(work.classes).items():
        for a, b in combinations(row, 2):
            yield item, a, b, row[a] == row[b]
    for item, boxes in work.people(work.boxes).items():
        for a, b in combinations(boxes, 2):
            yield item, a, b, boxes_agree(boxes[a], boxes[b], iou_threshold)
    for item, shapes in work.people(work.shapes).items():
        size = work.sizes.get(item)
        for a, b in combinations(shapes, 2):
            yield item, a, b, shapes_agree(shapes[a], shapes[b], iou_threshold, size)
    for item, said in work.people(work.transcripts).items():
        for a, b in combinations(said, 2):
            yield item, a, b, said[a] == said[b]
    for item, spans in work.people(work.spans).items():
        for a, b in combinations(spans, 2):
            keys = [{(s.start, s.end, s.label) for s in spans[x]} for x in (a, b)]
            yield item, a, b, keys[0] == keys[1]


# --- gold feedback -----------------------------------------------------------


def gold_feedback(
    ws: Workspace, annotation_id: int, actor: User | None = None
) -> Json | None:
    """Feedback on a submitted gold item, when the project gives it.

    Returns ``None`` unless the annotation's item has a gold answer and the
    project has ``gold_feedback`` on (so nobody learns which items are gold
    otherwise); else ``{"gold": True, "matched": bool, "answer": regions}``.

    Raises:
        NotFound: No such annotation, or it belongs to someone else and the
            actor is an annotator.
    """
    with ws.db.read() as conn:
        row = annotation_row(conn, annotation_id)
        role = require_role(conn, actor, row["project_id"], Role.annotator)
        if role == Role.annotator and (actor is None or row["user_id"] != actor.id):
            raise NotFound(f"no annotation with id {annotation_id}")
        project = load_project(conn, row["project_id"])
        answer = conn.execute(
            select(t.gold_answers.c.regions).where(
                t.gold_answers.c.item_id == row["item_id"]
            )
        ).scalar()
    if answer is None or not project.settings.gold_feedback:
        return None
    annotation = to_annotation(row)
    gold = parse_regions(answer)
    matched = matches_gold(
        annotation.regions, gold, project.label_schema.multi_label, 0.5
    )
    return {
        "gold": True,
        "matched": matched,
        "answer": [region.model_dump(mode="json") for region in gold],
    }


def set_project_gold(
    ws: Workspace,
    project_id: int,
    answers: dict[int, list[Any]],
    *,
    actor: User | None = None,
) -> int:
    """Store gold answers for items of one project (managers); how many.

    Raises:
        NotFound: An item is not in the project.
        PermissionDenied: The actor is not a manager of the project.
    """
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        found = set(
            conn.execute(
                select(t.items.c.id).where(
                    (t.items.c.project_id == project_id)
                    & t.items.c.id.in_(list(answers))
                )
            ).scalars()
        )
    missing = sorted(set(answers) - found)
    if missing:
        raise NotFound(
            f"item(s) {', '.join(map(str, missing[:10]))} are not in project "
            f"{project_id}",
            field="answers",
        )
    return gold_service.set_gold(ws, answers, actor=actor)
