from __future__ import annotations

import ftfy
import pytest

from annotary.clean.base import CheckInput
from annotary.clean.text import (
    EmptyText,
    Language,
    Mojibake,
    NearDuplicateText,
    PersonalData,
    TextLength,
    detect_language,
    find_personal_data,
    shingles,
)
from annotary.core.models import Item, MediaRef
from annotary.errors import InvalidInput
from tests.clean.helpers import assert_storable, by_item, text_inputs


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no text"),
        (None, "no text"),
        ("   ", "white space only"),
        ("\t\r\n\u00a0\u2003", "white space only"),
        ("x", None),
        (" . ", None),
    ],
)
def test_empty_text(text: str | None, reason: str | None) -> None:
    flags = by_item(EmptyText().run(text_inputs([text]), params={}))

    assert (flags[1].reason if flags else None) == reason


def test_empty_text_ignores_media_items() -> None:
    media = MediaRef(path="a.png", sha256="0" * 64, size=1)
    entry = CheckInput(Item(id=1, project_id=1, media=media))

    assert list(EmptyText().run([entry], params={})) == []


@pytest.mark.parametrize(
    ("text", "params", "score"),
    [
        ("ab", {}, pytest.approx(1 / 3)),
        ("abc", {}, None),
        ("  a  ", {}, pytest.approx(2 / 3)),
        ("", {}, None),  # empty is empty-text's business
        ("x" * 11, {"max_chars": 10}, pytest.approx(1 / 11)),
        ("x" * 10, {"max_chars": 10}, None),
        ("hello", {"min_chars": 10}, pytest.approx(0.5)),
    ],
)
def test_text_length(text: str, params: dict[str, int], score: object) -> None:
    flags = by_item(TextLength().run(text_inputs([text]), params=params))

    assert (flags[1].score if flags else None) == score


@pytest.mark.parametrize(
    ("text", "repair"),
    [
        (
            "The Mona Lisa doesnâ€™t have eyebrows.",
            "The Mona Lisa doesn’t have eyebrows.",
        ),
        ("cafÃ© au lait", "café au lait"),
        ("Ã¼ber", "über"),
        ("Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"),
        ("naïve café", None),
        ("Schöne Grüße", None),
        ("l’été « déjà »", None),  # curly quotes are not mojibake
        ("ＦＵＬＬ width", None),  # nor full-width letters
        ("plain ASCII\r\nwith CRLF", None),
    ],
)
def test_mojibake_repairs(text: str, repair: str | None) -> None:
    flags = by_item(Mojibake().run(text_inputs([text]), params={}))

    assert (flags[1].data["repair"] if flags else None) == repair
    if repair is not None:
        assert flags[1].data["repair"] == ftfy.fix_encoding(text)
        assert flags[1].data["steps"][-1] == ["decode", "utf-8"]
        assert_storable(flags.values())


def test_replacement_characters_are_flagged_without_repair() -> None:
    flags = by_item(Mojibake().run(text_inputs(["caf\ufffd \ufffd"]), params={}))

    assert flags[1].data == {"replacements": 2}
    assert flags[1].reason.startswith("2 replacement character(s)")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Das ist ein schöner Tag und wir gehen im Park spazieren.", "de"),
        ("The weather is lovely today and we are walking in the park.", "en"),
        ("Il fait beau aujourd'hui et nous nous promenons dans le parc.", "fr"),
        ("Hoy hace buen tiempo y paseamos por el parque.", "es"),
        ("Сегодня хорошая погода, и мы гуляем в парке.", "ru"),
        ("今日はいい天気なので公園を散歩します。", "ja"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    found, confidence = detect_language(text)

    assert found == language
    assert confidence > 0.9


ENGLISH = [
    "The weather is lovely today and we are walking in the park.",
    "Please send the quarterly report to the finance team by Friday.",
    "Our train was delayed by forty minutes because of the storm.",
]
GERMAN = "Das ist ein schöner Tag und wir gehen im Park spazieren."


def test_language_expects_the_majority_when_not_told() -> None:
    inputs = text_inputs([*ENGLISH, GERMAN, "Too short"])

    flags = by_item(Language().run(inputs, params={}))

    assert sorted(flags) == [4]
    assert flags[4].data["language"] == "de"
    assert flags[4].data["expected"] == ["en"]
    assert flags[4].reason == "language de, expected en"


def test_language_with_expected_languages() -> None:
    inputs = text_inputs([*ENGLISH, GERMAN])

    assert list(Language().run(inputs, params={"languages": ["en", "de"]})) == []
    flagged = by_item(Language().run(inputs, params={"languages": ["de"]}))
    assert sorted(flagged) == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("mail ann@example.org or call +44 20 7946 0958", ["email", "phone"]),
        ("first.last+tag@mail.example.co.uk", ["email"]),
        ("call 030 1234567.", ["phone"]),
        ("(555) 123-4567", ["phone"]),
        ("+14155552671", ["phone"]),
        ("tel. 0170-1234567", ["phone"]),
        ("no@tld", []),
        ("on 2024-01-15 at 10:30", []),
        ("born 15.03.1990", []),
        ("order 123456789", []),
        ("12.345.678 EUR", []),
        ("ISBN 978-3-16-148410-0", []),
        ("price 12 34", []),
        ("x@localhost", []),
    ],
)
def test_find_personal_data(text: str, kinds: list[str]) -> None:
    assert [kind for _, _, kind in find_personal_data(text)] == kinds


def test_personal_data_spans_are_code_points() -> None:
    text = "😀 écrivez à zoé@example.fr"

    ((start, end, kind),) = find_personal_data(text)

    assert (text[start:end], kind) == ("zoé@example.fr", "email")


def test_personal_data_flag_keeps_no_copy_of_the_data() -> None:
    flags = by_item(
        PersonalData().run(
            text_inputs(["ann@example.org, bob@example.org, +44 20 7946 0958"]),
            params={},
        )
    )

    assert flags[1].reason == "2 e-mail address(es), 1 phone number(s)"
    assert flags[1].data["counts"] == {"email": 2, "phone": 1}
    assert "example" not in str(flags[1].data)


@pytest.mark.parametrize(
    ("text", "size", "expected"),
    [
        ("Abc D", 4, {b"abc ", b"bc d"}),
        ("ab", 5, {b"ab"}),
        ("   ", 5, set()),
        ("AB  AB", 3, {b"ab ", b"b a", b" ab"}),
    ],
)
def test_shingles(text: str, size: int, expected: set[bytes]) -> None:
    assert shingles(text, size) == expected


BASE = (
    "Annotation tools lose data silently when offsets drift after the stored "
    "text is rewritten, so the stored text is never rewritten once labelled."
)


def test_near_duplicate_text_clusters() -> None:
    inputs = text_inputs(
        [
            BASE,  # 1
            BASE.replace("silently", "quietly"),  # 2: one word changed
            "A completely unrelated sentence about cooking pasta for dinner tonight.",
            BASE.upper() + "  ",  # 4: same after normalising
            "Another unrelated sentence, this one about trains and timetables.",
        ]
    )

    flags = list(NearDuplicateText().run(inputs, params={}))

    found = by_item(flags)
    assert sorted(found) == [1, 2, 4]
    assert {f.data["representative"] for f in flags} == {1}
    assert found[4].score == 1.0
    assert 0.8 <= found[2].score < 1.0
    assert len({f.cluster for f in flags}) == 1
    assert_storable(flags)


def test_near_duplicate_text_threshold() -> None:
    inputs = text_inputs([BASE, BASE.replace("silently", "quietly")])

    assert list(NearDuplicateText().run(inputs, params={"threshold": 0.95})) == []
    assert len(list(NearDuplicateText().run(inputs, params={"threshold": 0.7}))) == 2


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_near_duplicate_text_rejects_thresholds_it_cannot_band(
    threshold: float,
) -> None:
    with pytest.raises(InvalidInput, match="near-duplicate-text.v1: threshold"):
        list(
            NearDuplicateText().run(
                text_inputs(["a", "b"]), params={"threshold": threshold}
            )
        )
