"""The examples in the quality modules' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import annotary.quality

MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(annotary.quality.__path__, "annotary.quality.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_functions_have_docstrings() -> None:
    missing = [
        f"{name}.{attr}"
        for name in MODULES
        for attr, value in vars(importlib.import_module(name)).items()
        if not attr.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == name
        and not (value.__doc__ or "").strip()
    ]
    assert missing == []
