"""Gold answers are held to the rules every annotation is."""

from __future__ import annotations

import pytest

from annotary.errors import InvalidInput
from annotary.services import gold, projects
from annotary.services.workspace import Workspace
from tests.services.helpers import add_texts

NER = {"labels": [{"name": "PER"}], "tools": ["span"]}


def test_gold_answers_are_checked_like_annotations(workspace: Workspace) -> None:
    pid = projects.create_project(workspace, "G", "text", label_schema=NER).id
    (item,) = add_texts(workspace, pid, ["Ada 👩‍👩‍👧‍👦"])
    bad = {
        "span past the text": [{"type": "span", "start": 0, "end": 5000}],
        "box on a span project": [{"type": "bbox", "x": 1, "y": 1, "w": 2, "h": 2}],
        "half an emoji": [{"type": "span", "start": 4, "end": 5, "label": "PER"}],
    }
    for regions in bad.values():
        with pytest.raises(InvalidInput, match=rf"gold answer for item {item}: "):
            gold.set_gold(workspace, {item: regions})
    assert gold.gold_answers(workspace, pid) == {}
    good = [{"type": "span", "start": 0, "end": 3, "label": "PER"}]
    assert gold.set_gold(workspace, {item: good}) == 1
    (span,) = gold.gold_answers(workspace, pid)[item]
    assert (span.start, span.end, span.label) == (0, 3, "PER")
