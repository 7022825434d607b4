"""core.checks: the region rules as a table of good and bad regions."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from annotary.core.checks import Target, region_problems
from annotary.core.regions import Region
from annotary.core.schema import LabelSchema

_REGIONS: TypeAdapter[list[Region]] = TypeAdapter(list[Region])
IMAGE = Target(width=64, height=48)
TEXT = Target(text="Ada met Alan.")


def _messages(schema: dict[str, Any], target: Target, regions: list[Any]) -> list[str]:
    parsed = _REGIONS.validate_python(regions)
    return [p.message for p in region_problems(LabelSchema(**schema), target, parsed)]


@pytest.mark.parametrize(
    ("tools", "region", "expected"),
    [
        ([], {"type": "cuboid", "center": [0, 0, 0], "size": [1, 1, 1]}, []),
        (["segment"], {"type": "segment", "start": 1.5, "end": 2.0}, []),
        (
            ["segment"],
            {"type": "segment", "start": 2.0, "end": 2.0},
            ["regions[0]: segment [2, 2] s does not end after it starts"],
        ),
        (
            ["cuboid"],
            {"type": "cuboid", "center": [0, 0, 0], "size": [4, 0, 1]},
            ["regions[0]: cuboid size [4.0, 0.0, 1.0] is not positive"],
        ),
        (
            ["track"],
            {
                "type": "track",
                "keyframes": [
                    {"frame": 0, "x": 1, "y": 1, "w": 5, "h": 5},
                    {"frame": 9, "x": 900, "y": 1, "w": 0, "h": 0, "outside": True},
                    {"frame": 12, "x": 70, "y": 1, "w": 5, "h": 5},
                ],
            },
            ["regions[0]: box at (70, 1) size 5x5 lies wholly outside the 64x48 image"],
        ),
        (
            ["polygon"],
            {
                "type": "polygon",
                "points": [[0, 0], [10, 0], [10, 10], [0, 10]],
                "holes": [[[2, 2], [4, 2]]],
            },
            ["regions[0]: hole 0 has 2 points and no area"],
        ),
        (
            ["polygon"],
            {
                "type": "polygon",
                "points": [[0, 0], [10, 0], [10, 10], [0, 10]],
                "holes": [[[0, 0], [10, 0], [10, 10], [0, 10]]],
            },
            ["regions[0]: polygon of 4 points has area 0; it must be positive"],
        ),
        (
            ["mask"],
            {"type": "mask", "size": [64, 48], "counts": "0"},
            [
                "regions[0]: mask size [64, 48] is not the image's [height, width] "
                "[48, 64]"
            ],
        ),
    ],
)
def test_shapes(tools: list[str], region: dict[str, Any], expected: list[str]) -> None:
    assert _messages({"tools": tools}, IMAGE, [region]) == expected


def test_every_problem_is_listed_in_region_order() -> None:
    regions = [
        {"type": "span", "start": 0, "end": 3, "label": "PER"},
        {"type": "span", "start": 1, "end": 3, "label": "PER"},
        {"type": "class", "labels": ["PER"]},
        {"type": "span", "start": 8, "end": 12, "label": "ORG", "score": 0.5},
        {"type": "span", "start": 8, "end": 12, "label": "PER", "score": 1.5},
    ]
    schema = {"labels": [{"name": "PER"}], "tools": ["span"]}
    assert _messages(schema, TEXT, regions) == [
        "regions[1]: span [1, 3) overlaps span 0 [0, 3); the schema does not "
        "allow overlap",
        "regions[2]: a class region is not one of the project's tools (span)",
        "regions[3]: label 'ORG' is not in the schema (labels: PER)",
        "regions[4]: score 1.5 is not in [0, 1]",
    ]
