from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, IOBES, Entities

from annotary.core import BBox, Item, Span
from annotary.errors import FormatError, NotFound
from annotary.formats.conll import dump_conll, load_conll, tags_to_spans
from annotary.formats.tokenize import (
    get_tokenizer,
    whitespace_punct_v1,
    whitespace_punct_v2,
)
from tests.formats.conftest import annotation, context, ingest, make_project

TEXT = "Ada Lovelace met Charles Babbage in London."
SPANS = [
    Span(label="PER", start=0, end=12),
    Span(label="PER", start=17, end=32),
    Span(label="LOC", start=36, end=42),
]


def _project():
    return make_project(labels=["PER", "LOC"], tools=["span"], kind="text")


def _item(item_id: int, text: str) -> Item:
    return Item(id=item_id, project_id=1, text=text)


def _tags(path: Path) -> list[list[str]]:
    blocks = path.read_text().strip("\n").split("\n\n")
    return [[line.split()[-1] for line in block.splitlines()] for block in blocks]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hi, Ada!", ["Hi", ",", "Ada", "!"]),
        ("  e-mail\tx\r\ny ", ["e", "-", "mail", "x", "y"]),
        ("naïve café 😀", ["naïve", "café", "😀"]),
        ("", []),
    ],
)
def test_whitespace_punct_tokens(text: str, tokens: list[str]) -> None:
    assert [text[s:e] for s, e in whitespace_punct_v1(text)] == tokens


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl


@pytest.mark.parametrize(
    ("text", "v2", "v1_count"),
    [
        # Skin tone (U+1F3FD) stays on the waving hand; both regional
        # indicators of a flag stay together.
        ("Hi 👋🏽 from 🇫🇷!", ["Hi", "👋🏽", "from", "🇫🇷", "!"], 7),
        # Three indicators: a pair, then a lone one.
        ("🇫🇷🇩🇪🇮", ["🇫🇷", "🇩🇪", "🇮"], 5),
        (f"a {FAMILY}.", ["a", FAMILY, "."], 7),
        # Woman, skin tone, ZWJ, laptop: one cluster, then a word.
        ("👩🏽\u200d💻dev", ["👩🏽\u200d💻", "dev"], 5),
        # Red heart with variation selector 16.
        ("❤️ ok", ["❤️", "ok"], 3),
        ("#️⃣ 1️⃣", ["#️⃣", "1️⃣"], 6),
        # Scotland: black flag, five tag letters, cancel tag.
        (
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f!",
            ["🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "!"],
            8,
        ),
        # A decomposed accent and Devanagari vowel signs stay in their word.
        ("cafe\u0301 au lait", ["cafe\u0301", "au", "lait"], 4),
        ("हिन्दी भाषा", ["हिन्दी", "भाषा"], 10),
        # A joiner after a letter does not glue an emoji to it.
        ("a\u200d👍", ["a\u200d", "👍"], 3),
        ("Ада, привет!", ["Ада", ",", "привет", "!"], 4),
        ("Hi, Ada!", ["Hi", ",", "Ada", "!"], 4),
        ("", [], 0),
    ],
)
def test_whitespace_punct_v2_keeps_grapheme_clusters(
    text: str, v2: list[str], v1_count: int
) -> None:
    assert [text[s:e] for s, e in whitespace_punct_v2(text)] == v2
    assert len(whitespace_punct_v1(text)) == v1_count
    assert get_tokenizer("whitespace_punct.v2") is whitespace_punct_v2


@given(st.text())
def test_property_v2_tokens_are_the_non_space_text(text: str) -> None:
    tokens = whitespace_punct_v2(text)
    ends = [0, *(end for _, end in tokens)]
    for (start, end), previous in zip(tokens, ends, strict=False):
        assert previous <= start < end
        assert not any(c.isspace() for c in text[start:end])
        assert text[previous:start].isspace() or previous == start
    assert not text[ends[-1] :].strip()
    # v2 only ever joins what v1 splits.
    v1_bounds = {b for span in whitespace_punct_v1(text) for b in span}
    assert {b for span in tokens for b in span} <= v1_bounds


def test_emoji_spans_export_whole_with_v2_and_split_with_v1(tmp_path: Path) -> None:
    text = "Go 🇫🇷 👍🏽 now"
    spans = [Span(label="LOC", start=3, end=5), Span(label="PER", start=6, end=8)]
    records = [(_item(1, text), [annotation(1, spans)])]
    report = dump_conll(context(_project(), records, tmp_path / "a.conll"))
    lines = (tmp_path / "a.conll").read_text(encoding="utf-8").splitlines()
    assert lines == ["Go O", "🇫🇷 B-LOC", "👍🏽 B-PER", "now O", ""]
    assert report.warnings == []

    old = dump_conll(
        context(
            _project(), records, tmp_path / "b.conll", tokenizer="whitespace_punct.v1"
        )
    )
    tokens = [
        line.split()[0]
        for line in (tmp_path / "b.conll").read_text().split("\n")
        if line
    ]
    assert tokens == ["Go", "🇫", "🇷", "👍", "🏽", "now"]
    assert old.warnings == []

    result = load_conll(tmp_path / "a.conll")
    (draft,) = list(result.drafts)
    assert draft.text == "Go 🇫🇷 👍🏽 now"
    assert [(r.label, r.start, r.end) for r in draft.annotations[0].regions] == [
        ("LOC", 3, 5),
        ("PER", 6, 8),
    ]


def test_unknown_tokenizer() -> None:
    with pytest.raises(NotFound, match="whitespace_punct.v1"):
        get_tokenizer("spacy.v9")


@pytest.mark.parametrize(
    ("scheme", "expected", "seqeval_scheme"),
    [
        ("iob2", ["B-PER", "I-PER", "O", "B-PER", "I-PER", "O", "B-LOC", "O"], IOB2),
        ("bioes", ["B-PER", "E-PER", "O", "B-PER", "E-PER", "O", "S-LOC", "O"], IOBES),
    ],
)
def test_tags_agree_with_seqeval(
    tmp_path: Path, scheme: str, expected: list[str], seqeval_scheme: type
) -> None:
    records = [(_item(1, TEXT), [annotation(1, SPANS)])]
    out = tmp_path / "ner.conll"
    report = dump_conll(context(_project(), records, out, scheme=scheme))
    (tags,) = _tags(out)

    assert tags == expected
    strict = Entities([tags], seqeval_scheme).entities[0]
    assert [(e.tag, e.start, e.end - 1) for e in strict] == [
        ("PER", 0, 1),
        ("PER", 3, 4),
        ("LOC", 6, 6),
    ]
    assert sorted(get_entities(tags)) == sorted(tags_to_spans(tags))
    assert (report.items, report.regions) == (1, 3)


def test_misaligned_span_is_reported_not_shifted(tmp_path: Path) -> None:
    spans = [Span(label="PER", start=0, end=3), Span(label="PER", start=4, end=9)]
    records = [
        (_item(7, "Ada Lovelace"), [annotation(7, spans + [BBox(x=0, y=0, w=1, h=1)])])
    ]
    report = dump_conll(context(_project(), records, tmp_path / "x.conll"))
    assert _tags(tmp_path / "x.conll") == [["B-PER", "O"]]
    assert report.warnings == [
        "item 7: span [4, 9) 'Lovel' does not align with whitespace_punct.v2 tokens"
    ]
    assert report.left_out == {
        "spans not aligned to tokens": 1,
        "bbox regions in CoNLL": 1,
    }


def test_overlapping_spans_are_an_error(tmp_path: Path) -> None:
    spans = [Span(label="PER", start=0, end=12), Span(label="LOC", start=4, end=12)]
    records = [(_item(3, "Ada Lovelace"), [annotation(3, spans)])]
    with pytest.raises(
        FormatError, match=r"item 3: spans \[0, 12\) 'PER' and \[4, 12\)"
    ):
        dump_conll(context(_project(), records, tmp_path / "x.conll"))


def test_unknown_scheme_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="unknown tag scheme"):
        dump_conll(context(_project(), [], tmp_path / "x.conll", scheme="iob9"))


@pytest.mark.parametrize("scheme", ["iob2", "bioes"])
def test_round_trip_gives_the_same_file(tmp_path: Path, scheme: str) -> None:
    records = [
        (_item(1, TEXT), [annotation(1, SPANS)]),
        (_item(2, "Nothing here ."), []),
        (_item(3, "   "), []),
    ]
    dump_conll(context(_project(), records, tmp_path / "a", scheme=scheme))
    result = load_conll(tmp_path / "a")
    assert result.label_schema.names == ["PER", "LOC"]
    again = ingest(result.drafts)
    assert again[0][0].text == "Ada Lovelace met Charles Babbage in London ."
    assert [s.text for s in again[0][1][0].regions] == [
        "Ada Lovelace",
        "Charles Babbage",
        "London",
    ]
    dump_conll(context(_project(), again, tmp_path / "b", scheme=scheme))
    assert (tmp_path / "b/data.conll").read_text() == (
        tmp_path / "a/data.conll"
    ).read_text()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("Ada B-PER\nLovelace I-PER\n", None),
        ("-DOCSTART- -X- -X- O\n\nAda NNP B-NP B-PER\n", None),
        ("Ada X-PER\n", "is not O, B-, I-, E- or S-"),
        ("Ada B-\n", "is not O"),
    ],
)
def test_load_table(tmp_path: Path, content: str, reason: str | None) -> None:
    path = tmp_path / "f.conll"
    path.write_text(content)
    result = load_conll(path)
    drafts = list(result.drafts)
    if reason is None:
        assert drafts[0].annotations[0].regions[0].label == "PER"
        assert drafts[0].annotations[0].regions[0].start == 0
    else:
        assert drafts == []
        assert reason in result.rejections[0].reason


_word = st.text(alphabet="abcXYZ", min_size=1, max_size=4)


@settings(max_examples=50)
@given(st.lists(st.tuples(_word, st.sampled_from(["O", "PER", "LOC"])), min_size=1))
def test_property_tags_decode_like_seqeval(tokens: list) -> None:
    tags = []
    previous = "O"
    for _, label in tokens:
        tags.append(
            "O" if label == "O" else ("I-" if label == previous else "B-") + label
        )
        previous = label
    assert sorted(tags_to_spans(tags)) == sorted(get_entities(tags))


def test_splits_get_a_file_each_and_come_back(tmp_path: Path) -> None:
    texts = {1: ("Ada met Bob.", "train"), 2: ("Cy in Rome.", "test"), 3: ("Di", None)}
    spans = {1: [Span(label="PER", start=0, end=3)], 2: [], 3: []}
    spans[2] = [Span(label="LOC", start=6, end=10)]
    records = [
        (
            Item(id=i, project_id=1, text=text, split=split),
            [annotation(i, spans[i])],
        )
        for i, (text, split) in texts.items()
    ]
    report = dump_conll(context(_project(), records, tmp_path))

    assert report.files == ["data.conll", "data_test.conll", "data_train.conll"]
    assert (tmp_path / "data_train.conll").read_text() == (
        "Ada B-PER\nmet O\nBob O\n. O\n\n"
    )
    assert _tags(tmp_path / "data_test.conll") == [["O", "O", "B-LOC", "O"]]
    assert _tags(tmp_path / "data.conll") == [["O"]]

    loaded = load_conll(tmp_path)
    drafts = sorted(loaded.drafts, key=lambda d: d.text)
    assert [(d.text, d.split) for d in drafts] == [
        ("Ada met Bob .", "train"),
        ("Cy in Rome .", "test"),
        ("Di", None),
    ]
    (rome,) = drafts[1].annotations[0].regions
    assert (rome.label, rome.start, rome.end) == ("LOC", 6, 10)


def test_every_item_in_a_split_leaves_no_empty_main_file(tmp_path: Path) -> None:
    records = [(Item(id=1, project_id=1, text="Ada", split="val"), [])]
    report = dump_conll(context(_project(), records, tmp_path))
    assert report.files == ["data_val.conll"]
    assert not (tmp_path / "data.conll").exists()
    assert [d.split for d in load_conll(tmp_path).drafts] == ["val"]
