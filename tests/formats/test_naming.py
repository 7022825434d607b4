"""Download file names made from project and snapshot names."""

from __future__ import annotations

import pytest

from annotary.formats.naming import file_stem


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Demo: people & animals", "Demo-people-animals"),
        ("Demo - people and animals", "Demo-people-and-animals"),
        ("v1.2", "v1.2"),
        ("..hidden..", "hidden"),
        ("Ünïcödé 😀", "n-c-d"),
        ("😀", "project"),
    ],
)
def test_file_stem(name: str, stem: str) -> None:
    assert file_stem(name) == stem
