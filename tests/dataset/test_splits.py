from __future__ import annotations

import logging
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotary.core import Annotation, ClassRegion, Item
from annotary.dataset.splits import assign_splits, leakage_report
from annotary.errors import InvalidInput


def _record(item_id: int, labels: list[str], **meta: object) -> tuple:
    item = Item(id=item_id, project_id=1, meta=dict(meta))
    regions = [ClassRegion(labels=labels)] if labels else []
    return item, [Annotation(item_id=item_id, regions=regions)] if regions else []


def _per_label(records: list, splits: dict[int, str]) -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for item, item_annotations in records:
        for annotation in item_annotations:
            for name in annotation.regions[0].labels:
                counts.setdefault(name, Counter())[splits[item.id]] += 1
    return counts


def test_random_split_hits_the_ratios_and_is_deterministic() -> None:
    records = [_record(n, []) for n in range(1, 1001)]
    first = assign_splits(records, seed=3)
    assert Counter(first.values()) == {"train": 800, "val": 100, "test": 100}
    assert assign_splits(records, seed=3) == first
    assert assign_splits(records, seed=4) != first


def test_stratified_single_label_keeps_each_label_share() -> None:
    labels = ["a"] * 600 + ["b"] * 300 + ["c"] * 100
    records = [_record(n, [name]) for n, name in enumerate(labels, start=1)]
    splits = assign_splits(records, stratify="label", seed=0)
    assert _per_label(records, splits) == {
        "a": Counter(train=480, val=60, test=60),
        "b": Counter(train=240, val=30, test=30),
        "c": Counter(train=80, val=10, test=10),
    }


def test_multi_label_iterative_stratification() -> None:
    combos = [["x"], ["x", "y"], ["y", "z"], ["z"], ["x", "z"]]
    records = [_record(n, combos[n % 5]) for n in range(1, 501)]
    splits = assign_splits(records, stratify="label", multi_label=True, seed=1)
    for name, counts in _per_label(records, splits).items():
        total = sum(counts.values())
        assert counts["train"] / total == pytest.approx(0.8, abs=0.02), name
        assert counts["test"] / total == pytest.approx(0.1, abs=0.02), name


def test_groups_never_cross_splits() -> None:
    records = [_record(n, ["a"], video=f"v{n // 7}") for n in range(1, 300)]
    splits = assign_splits(
        records, group_key=lambda i: i.meta["video"], stratify="label"
    )
    by_video: dict[str, set[str]] = {}
    for item, _ in records:
        by_video.setdefault(item.meta["video"], set()).add(splits[item.id])
    assert all(len(found) == 1 for found in by_video.values())
    assert set(splits.values()) == {"train", "val", "test"}


def test_several_keys_join_groups_transitively() -> None:
    # 1-2 share a patient, 2-3 a near-duplicate cluster: all three stay together.
    keys = {1: ["p1", "c1"], 2: ["p1", "c2"], 3: ["p3", "c2"], 4: ["p4", None]}
    records = [_record(n, []) for n in keys]
    for seed in range(10):
        splits = assign_splits(
            records, ratios={"a": 1, "b": 1}, seed=seed, group_key=lambda i: keys[i.id]
        )
        assert splits[1] == splits[2] == splits[3]


def test_rare_class_goes_to_train_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = [_record(n, ["common"]) for n in range(1, 41)]
    records += [_record(41, ["rare"]), _record(42, ["rare"])]
    with caplog.at_level(logging.WARNING, logger="annotary.dataset"):
        splits = assign_splits(records, stratify="label")
    assert (splits[41], splits[42]) == ("train", "train")
    assert "rare" in caplog.text and "fewer examples than the 3 splits" in caplog.text


@pytest.mark.parametrize(
    ("ratios", "expected"),
    [
        ({"train": 1, "test": 1}, {"train": 5, "test": 5}),
        ({"train": 0.5, "val": 0, "test": 0.5}, {"train": 5, "test": 5}),
        ({"train": -1, "test": 2}, InvalidInput),
        ({"train": 0}, InvalidInput),
    ],
)
def test_ratio_table(ratios: dict, expected: object) -> None:
    records = [_record(n, []) for n in range(10)]
    if isinstance(expected, type):
        with pytest.raises(expected):
            assign_splits(records, ratios=ratios)
    else:
        assert Counter(assign_splits(records, ratios=ratios).values()) == expected


def test_leakage_report_finds_exact_and_near_duplicates() -> None:
    items = [
        Item(id=1, project_id=1, content_hash="h1", split="train"),
        Item(id=2, project_id=1, content_hash="h1", split="test"),
        Item(id=3, project_id=1, content_hash="h2", split="train"),
        Item(id=4, project_id=1, content_hash="h2", split="train"),
        Item(id=5, project_id=1, content_hash="h5"),
    ]
    report = leakage_report(items, splits={5: "val"}, clusters={3: 9, 5: 9, 4: None})
    assert [(g.key, g.items) for g in report.exact] == [("h1", {1: "train", 2: "test"})]
    assert [(g.key, g.items) for g in report.near] == [("9", {3: "train", 5: "val"})]
    assert not report.clean
    assert leakage_report(items[2:4]).clean


@settings(max_examples=40, deadline=None)
@given(
    groups=st.lists(st.integers(0, 6), min_size=1, max_size=40),
    labels=st.data(),
    seed=st.integers(0, 5),
)
def test_property_every_item_assigned_and_groups_whole(groups, labels, seed) -> None:
    names = labels.draw(
        st.lists(
            st.sampled_from(["a", "b", "c"]), min_size=len(groups), max_size=len(groups)
        )
    )
    records = [_record(n, [names[n]], g=g) for n, g in enumerate(groups)]
    splits = assign_splits(
        records, seed=seed, stratify="label", group_key=lambda i: i.meta["g"]
    )
    assert set(splits) == set(range(len(groups)))
    seen: dict[int, str] = {}
    for item, _ in records:
        assert seen.setdefault(item.meta["g"], splits[item.id]) == splits[item.id]
    assert splits == assign_splits(
        records, seed=seed, stratify="label", group_key=lambda i: i.meta["g"]
    )
