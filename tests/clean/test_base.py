from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from annotary import plugins
from annotary.clean.base import (
    Check,
    CheckInput,
    Flag,
    base_name,
    merge_params,
    run_checks,
    suggest_decisions,
)
from annotary.core.models import DATA_KINDS
from annotary.errors import InvalidInput, NotFound
from tests.clean.helpers import text_inputs

BUILT_IN = [
    "blur.v1",
    "corrupt-file.v1",
    "empty-text.v1",
    "exact-duplicates.v1",
    "exposure.v1",
    "image-shape.v1",
    "language.v1",
    "mojibake.v1",
    "multi-frame.v1",
    "near-duplicate-images.v1",
    "near-duplicate-text.v1",
    "personal-data.v1",
    "text-length.v1",
]


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_checks_are_registered(name: str) -> None:
    check = plugins.checks.get(name)

    assert isinstance(check, Check)
    assert check.name == name
    assert check.kinds <= set(DATA_KINDS)
    assert check.kinds
    assert check.run.__doc__ is None or check.__doc__
    assert check.__doc__, f"{name} has no docstring"


def test_unversioned_name_resolves_to_newest() -> None:
    assert plugins.checks.get("blur").name == "blur.v1"
    with pytest.raises(NotFound, match="no check named 'sharpness'"):
        plugins.checks.get("sharpness")


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("blur.v1", "blur"),
        ("near-duplicate-images.v12", "near-duplicate-images"),
        ("plain", "plain"),
        ("odd.vx", "odd.vx"),
    ],
)
def test_base_name(name: str, base: str) -> None:
    assert base_name(name) == base


def test_merge_params() -> None:
    assert merge_params("x.v1", {"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}
    assert merge_params("x.v1", {"a": 1}, None) == {"a": 1}
    with pytest.raises(InvalidInput, match=r"check x.v1: unknown parameter\(s\) c"):
        merge_params("x.v1", {"a": 1}, {"c": 1})


TEXTS = [
    "Hello there, this is a perfectly normal sentence.",  # 1
    "",  # 2
    "hello there, this is a perfectly NORMAL sentence.",  # 3 duplicate of 1
    "ok",  # 4 short
    "Write to ann@example.org please.",  # 5
    "The Mona Lisa doesnâ€™t have eyebrows.",  # 6 mojibake
]


def test_run_checks_reports_params_and_counts() -> None:
    report = run_checks(
        text_inputs(TEXTS),
        "text",
        names=["exact-duplicates", "empty-text.v1", "text-length", "personal-data"],
        params={"text-length": {"min_chars": 5}},
    )

    assert report.kind == "text"
    assert report.items == 6
    assert report.counts == {
        "exact-duplicates.v1": 2,
        "empty-text.v1": 1,
        "text-length.v1": 1,
        "personal-data.v1": 1,
    }
    runs = {run.name: run for run in report.checks}
    assert runs["text-length.v1"].params == {"min_chars": 5, "max_chars": 100_000}
    assert runs["exact-duplicates.v1"].clusters == 1
    assert {f.item_id for f in report.flags if f.check == "text-length.v1"} == {4}


def test_run_checks_picks_every_check_of_the_kind() -> None:
    report = run_checks(text_inputs(TEXTS), "text")

    ran = {run.name for run in report.checks}
    assert ran == {n for n in BUILT_IN if "text" in plugins.checks.get(n).kinds}
    assert "blur.v1" not in ran
    assert report.counts["mojibake.v1"] == 1


@pytest.mark.parametrize(
    ("names", "params", "error", "match"),
    [
        (["blur"], None, InvalidInput, "blur.v1 does not apply to text"),
        (["nope"], None, NotFound, "no check named 'nope'"),
        (["empty-text"], {"blur": {}}, InvalidInput, "checks that do not run: blur"),
        (["text-length"], {"text-length": {"min": 1}}, InvalidInput, "min"),
    ],
)
def test_run_checks_rejects(
    names: list[str], params: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        run_checks(text_inputs(TEXTS), "text", names=names, params=params)


class _Counting:
    """A third-party style check without defaults."""

    name = "count-words.v1"
    kinds = frozenset({"text"})

    def run(
        self, inputs: Iterable[CheckInput], *, params: dict[str, Any]
    ) -> Iterator[Flag]:
        for entry in inputs:
            words = len((entry.item.text or "").split())
            if words > params.get("max", 3):
                yield Flag(
                    item_id=entry.item.id, check=self.name, score=1, reason="long"
                )


def test_run_checks_with_an_in_process_plugin() -> None:
    plugins.checks.register("count-words.v1", _Counting())
    try:
        report = run_checks(
            text_inputs(TEXTS),
            "text",
            names=["count-words"],
            params={"count-words": {"max": 5}},
        )
    finally:
        plugins.checks.unregister("count-words.v1")

    assert report.counts == {"count-words.v1": 3}
    assert report.checks[0].params == {"max": 5}


def _flag(item_id: int, check: str, cluster: str | None = None) -> Flag:
    return Flag(item_id=item_id, check=check, score=1.0, reason="r", cluster=cluster)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], {}),
        ([_flag(3, "blur.v1")], {3: "keep"}),
        ([_flag(3, "empty-text.v1")], {3: "exclude"}),
        ([_flag(3, "corrupt-file.v2")], {3: "exclude"}),
        (
            [
                _flag(5, "exact-duplicates.v1", "a"),
                _flag(2, "exact-duplicates.v1", "a"),
                _flag(9, "exact-duplicates.v1", "a"),
            ],
            {2: "keep", 5: "exclude", 9: "exclude"},
        ),
        # Two clusters sharing item 4 merge; the lowest id of the union stays.
        (
            [
                _flag(4, "exact-duplicates.v1", "a"),
                _flag(7, "exact-duplicates.v1", "a"),
                _flag(1, "near-duplicate-images.v1", "b"),
                _flag(4, "near-duplicate-images.v1", "b"),
            ],
            {1: "keep", 4: "exclude", 7: "exclude"},
        ),
        # A corrupt representative gives way to the next member.
        (
            [
                _flag(1, "near-duplicate-images.v1", "c"),
                _flag(6, "near-duplicate-images.v1", "c"),
                _flag(1, "corrupt-file.v1"),
            ],
            {1: "exclude", 6: "keep"},
        ),
        (
            [
                _flag(1, "exact-duplicates.v1", "a"),
                _flag(2, "exact-duplicates.v1", "a"),
                _flag(3, "exact-duplicates.v1", "b"),
                _flag(4, "exact-duplicates.v1", "b"),
                _flag(4, "blur.v1"),
            ],
            {1: "keep", 2: "exclude", 3: "keep", 4: "exclude"},
        ),
    ],
)
def test_suggest_decisions(flags: list[Flag], expected: dict[int, str]) -> None:
    assert suggest_decisions(flags) == expected


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_parameters_are_documented(name: str) -> None:
    check = plugins.checks.get(name)
    doc = type(check).__doc__ or ""

    assert [key for key in check.defaults if f"``{key}``" not in doc] == []


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"threshold": "abc"}, "threshold must be a number, not 'abc'"),
        ({"threshold": True}, "threshold must be a number"),
        ({"threshold": float("nan")}, "threshold must be a number"),
        ({"count": 2.5}, "count must be a whole number"),
        ({"normalize": "yes"}, "normalize must be true or false"),
        ({"name": 3}, "name must be text"),
        ({"languages": "en"}, "languages must be a list"),
        ({"threshold": None}, "threshold must be a number"),
    ],
)
def test_merge_params_checks_types(given: dict[str, Any], says: str) -> None:
    from annotary.clean.base import merge_params
    from annotary.errors import InvalidInput

    defaults = {
        "threshold": 0.5,
        "count": 3,
        "normalize": True,
        "name": "x",
        "languages": [],
    }
    with pytest.raises(InvalidInput, match=says):
        merge_params("c.v1", defaults, given)


def test_merge_params_keeps_good_values_and_allowed_none() -> None:
    from annotary.clean.base import merge_params

    defaults = {"threshold": 0.5, "count": 3, "off": 8}
    got = merge_params(
        "c.v1", defaults, {"threshold": 1, "count": 4.0, "off": None}, nullable={"off"}
    )
    assert got == {"threshold": 1, "count": 4, "off": None}
    assert type(got["count"]) is int
