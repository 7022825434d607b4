from __future__ import annotations

from pathlib import Path

import pytest

from annotary.core import ClassRegion, Item, Span
from annotary.errors import FormatError
from tests.formats.conftest import annotation, context, ingest, make_project

spacy = pytest.importorskip("spacy", reason="spaCy is an optional extra")

from annotary.formats.spacy_docbin import dump_spacy, load_spacy  # noqa: E402

TEXT = "Ada  Lovelace\r\nmet Babbage. "


def _project():
    return make_project(labels=["PER", "bio"], tools=["span", "class"], kind="text")


def test_docs_keep_text_ents_and_cats(tmp_path: Path) -> None:
    regions = [
        Span(label="PER", start=0, end=13),
        Span(label="PER", start=19, end=26),
        Span(label="PER", start=1, end=2),
        ClassRegion(labels=["bio"]),
    ]
    records = [
        (
            Item(id=1, project_id=1, text=TEXT),
            [annotation(1, regions[:2] + regions[3:])],
        )
    ]
    records.append(
        (Item(id=2, project_id=1, text="Ada"), [annotation(2, [regions[2]])])
    )
    report = dump_spacy(context(_project(), records, tmp_path))

    from spacy.tokens import DocBin

    docs = list(
        DocBin()
        .from_disk(tmp_path / "data-0000.spacy")
        .get_docs(spacy.blank("xx").vocab)
    )
    assert docs[0].text == TEXT
    assert [(e.text, e.label_) for e in docs[0].ents] == [
        ("Ada  Lovelace", "PER"),
        ("Babbage", "PER"),
    ]
    assert docs[0].cats == {"bio": 1.0}
    assert report.warnings == [
        "item 2: span [1, 2) 'd' does not align with whitespace_punct.v2 tokens"
    ]


def test_round_trip_gives_the_same_docs(tmp_path: Path) -> None:
    regions = [Span(label="PER", start=19, end=26), ClassRegion(labels=["bio"])]
    records = [(Item(id=1, project_id=1, text=TEXT), [annotation(1, regions)])]
    dump_spacy(context(_project(), records, tmp_path / "a", shard_size=1))
    result = load_spacy(tmp_path / "a")
    again = ingest(result.drafts)
    assert again[0][0].text == TEXT
    assert result.label_schema.names == ["PER", "bio"]
    dump_spacy(context(_project(), again, tmp_path / "b", shard_size=1))
    first = (tmp_path / "a/data-0000.spacy").read_bytes()
    assert (tmp_path / "b/data-0000.spacy").read_bytes() == first


def test_overlap_is_an_error(tmp_path: Path) -> None:
    spans = [Span(label="PER", start=0, end=13), Span(label="PER", start=5, end=13)]
    records = [(Item(id=4, project_id=1, text=TEXT), [annotation(4, spans)])]
    with pytest.raises(FormatError, match="item 4: spans"):
        dump_spacy(context(_project(), records, tmp_path))


def test_splits_go_to_their_own_folders(tmp_path: Path) -> None:
    from spacy.tokens import DocBin

    records = [
        (Item(id=1, project_id=1, text="Ada", split="train"), []),
        (Item(id=2, project_id=1, text="Bob", split="dev"), []),
        (Item(id=3, project_id=1, text="Cy", split="train"), []),
        (Item(id=4, project_id=1, text="Di"), []),
    ]
    report = dump_spacy(context(_project(), records, tmp_path, shard_size=1))

    assert sorted(report.files) == [
        "data-0000.spacy",
        "dev/data-0000.spacy",
        "train/data-0000.spacy",
        "train/data-0001.spacy",
    ]
    vocab = spacy.blank("xx").vocab
    train = [
        doc.text
        for name in ("data-0000.spacy", "data-0001.spacy")
        for doc in DocBin().from_disk(tmp_path / "train" / name).get_docs(vocab)
    ]
    assert train == ["Ada", "Cy"]
    loaded = load_spacy(tmp_path)
    assert sorted((d.text, d.split) for d in loaded.drafts) == [
        ("Ada", "train"),
        ("Bob", "dev"),
        ("Cy", "train"),
        ("Di", None),
    ]
