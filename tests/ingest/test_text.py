from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from annotary.core import Rejection, TextDraft
from tests.ingest.helpers import read, summary

TRICKY = "  Grüße 👋🏽 from 東京\r\n\tsecond line\r\n  trailing spaces  \r\n"


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_file_mode_keeps_emoji_crlf_and_spaces_byte_for_byte(tmp_path: Path) -> None:
    path = write(tmp_path / "doc.txt", TRICKY)

    results, encodings = read(tmp_path, [path], text_mode="file")

    [draft] = results
    assert isinstance(draft, TextDraft)
    assert draft.text is not None
    assert draft.text.encode() == TRICKY.encode()
    assert draft.content_hash == hashlib.sha256(TRICKY.encode()).hexdigest()
    assert draft.source.endswith("doc.txt:1")
    assert encodings == {}


def test_line_mode_drops_only_the_line_separator(tmp_path: Path) -> None:
    data = "  Grüße 👋🏽\r\nbare\rcarriage\n\n   \nlast line, no newline"
    path = write(tmp_path / "lines.txt", data)

    results, _ = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "lines.txt:1", "  Grüße 👋🏽"),
        ("item", "lines.txt:2", "bare\rcarriage"),
        ("rejected", "lines.txt:3", "empty line"),
        ("rejected", "lines.txt:4", "blank line"),
        ("item", "lines.txt:5", "last line, no newline"),
    ]


def test_utf8_bom_is_not_content(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", b"\xef\xbb\xbffirst\nsecond\n")

    results, encodings = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "bom.txt:1", "first"),
        ("item", "bom.txt:2", "second"),
    ]
    assert encodings == {}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"text": "ok", "label": "pos", "n": 1}', ("item", "ok")),
        ('{"text": "  spaced\\r\\nCRLF  "}', ("item", "  spaced\r\nCRLF  ")),
        ('{"text": "😀"}', ("item", "😀")),
        ('{"text": ""}', ("rejected", "empty text")),
        ('{"text": "a\\u0000b"}', ("rejected", "text contains a NUL character")),
        ('{"text": "\\ud800"}', ("rejected", "bad JSON")),
        ('{"text": 3}', ("rejected", "field 'text' is int, not text")),
        ('{"body": "x"}', ("rejected", "no field 'text'")),
        ('["text"]', ("rejected", "expected a JSON object, got list")),
        ('{"text": "unclosed', ("rejected", "bad JSON")),
    ],
)
def test_jsonl_lines(tmp_path: Path, line: str, expected: tuple[str, str]) -> None:
    path = write(tmp_path / "rows.jsonl", line + "\n")

    results, _ = read(tmp_path, [path])

    [(kind, source, value)] = summary(results)
    assert (kind, source) == (expected[0], "rows.jsonl:1")
    if kind == "item":
        assert value == expected[1]
    else:
        assert value.startswith(expected[1])


def test_jsonl_keeps_other_fields_as_meta_and_goes_on_after_bad_rows(
    tmp_path: Path,
) -> None:
    rows = [
        '{"sentence": "first", "label": "pos", "extra": {"a": [1, 2]}}',
        "",
        "not json",
        '{"sentence": "third", "text": "not this one"}',
    ]
    path = write(tmp_path / "rows.jsonl", "\n".join(rows) + "\n")

    results, _ = read(tmp_path, [path], field="sentence")

    assert summary(results)[0] == ("item", "rows.jsonl:1", "first")
    assert summary(results)[1][:2] == ("rejected", "rows.jsonl:3")
    assert summary(results)[2] == ("item", "rows.jsonl:4", "third")
    assert results[0].meta == {"label": "pos", "extra": {"a": [1, 2]}}
    assert results[2].meta == {"text": "not this one"}


def test_json_array_reports_the_line_of_each_element(tmp_path: Path) -> None:
    data = '[\n  {"text": "a", "k": 1},\n  {"text": 2},\n\n  {"text":\n "b"}\n]\n'
    path = write(tmp_path / "items.json", data)

    results, _ = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "items.json:2", "a"),
        ("rejected", "items.json:3", "field 'text' is int, not text"),
        ("item", "items.json:5", "b"),
    ]
    assert results[0].meta == {"k": 1}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("[]", []),
        ('{"text": "one object"}', [("item", "one.json:1", "one object")]),
        (
            '[{"text": "a"}, {"text": }]',
            [("item", "one.json:1", "a"), ("rejected", "one.json:1", None)],
        ),
        ('[{"text": "a"} {"text": "b"}]', [("item", "one.json:1", "a"), None]),
        ('{"text": ', [("rejected", "one.json:1", None)]),
    ],
)
def test_json_files(tmp_path: Path, data: str, expected: list) -> None:
    path = write(tmp_path / "one.json", data)

    results, _ = read(tmp_path, [path])

    rows = summary(results)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        if want is None:
            assert row[0] == "rejected"
        elif want[2] is None:
            assert row[:2] == want[:2]
        else:
            assert row == want


def test_csv_with_quoted_newlines_bom_and_bad_rows(tmp_path: Path) -> None:
    data = (
        "id,Text,label\r\n"
        '1,"multi\r\nline ""quoted""",pos\r\n'
        "2,,neg\r\n"
        "3,too,many,fields\r\n"
        "\r\n"
        "4,  spaced  ,neg\r\n"
    )
    path = write(tmp_path / "rows.csv", b"\xef\xbb\xbf" + data.encode())

    results, encodings = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "rows.csv:2", 'multi\r\nline "quoted"'),
        ("rejected", "rows.csv:4", "empty text"),
        ("rejected", "rows.csv:5", "row has 4 fields, the header has 3"),
        ("item", "rows.csv:7", "  spaced  "),
    ]
    assert results[0].meta == {"id": "1", "label": "pos"}
    assert encodings == {}


@pytest.mark.parametrize(
    ("header", "field", "expected"),
    [
        ("sentence\tlabel", "sentence", ("item", "hello")),
        ("sentence\tlabel", None, ("rejected", "no column named 'text'")),
        ("text\tlabel", "body", ("rejected", "no column named 'body'")),
        ("TEXT\tlabel", None, ("item", "hello")),
    ],
)
def test_tsv_text_column(
    tmp_path: Path, header: str, field: str | None, expected: tuple[str, str]
) -> None:
    path = write(tmp_path / "rows.tsv", f"{header}\nhello\tpos\n")

    results, _ = read(tmp_path, [path], field=field)

    [(kind, _, value)] = summary(results)
    assert kind == expected[0]
    assert value.startswith(expected[1])


@pytest.mark.parametrize(
    ("text", "codec", "named"),
    [
        ("Le café était fermé à côté du théâtre", "latin-1", "latin_1"),
        ("El niño comió piña en la mañana, ¿sí?", "latin-1", "latin_1"),
        ("München, Straße, Grüße, Ärger über Öl", "latin-1", "latin_1"),
        ("“Smart” quotes – and 5 € signs", "cp1252", "cp1252"),
        ("Привет, как дела? Хорошо, спасибо.", "cp1251", "cp1251"),
        ("Zażółć gęślą jaźń, łódź płynie", "cp1250", "cp1250"),
    ],
)
def test_non_utf8_csv_is_decoded_and_its_encoding_named(
    tmp_path: Path, text: str, codec: str, named: str
) -> None:
    path = write(tmp_path / "legacy.csv", f'text,label\n"{text}",x\n'.encode(codec))

    results, encodings = read(tmp_path, [path])

    assert summary(results) == [("item", "legacy.csv:2", text)]
    assert encodings == {str(path): named}


def test_utf16_tsv_from_a_spreadsheet(tmp_path: Path) -> None:
    path = write(tmp_path / "excel.tsv", "text\tn\r\nÇa va 😀\t1\r\n".encode("utf-16"))

    results, encodings = read(tmp_path, [path])

    assert summary(results) == [("item", "excel.tsv:2", "Ça va 😀")]
    assert encodings == {str(path): "utf-16"}


def test_latin1_lines_are_read_as_latin1(tmp_path: Path) -> None:
    path = write(
        tmp_path / "old.txt", "première ligne\r\ndeuxième\r\n".encode("latin-1")
    )

    results, encodings = read(tmp_path, [path])

    assert summary(results) == [
        ("item", "old.txt:1", "première ligne"),
        ("item", "old.txt:2", "deuxième"),
    ]
    assert encodings == {str(path): "latin_1"}


texts = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1,
).filter(lambda text: not text.startswith("\ufeff"))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_any_text_file_round_trips(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "any.txt", text)

    results, _ = read(tmp_path, [path], text_mode="file")

    [draft] = results
    assert isinstance(draft, TextDraft)
    assert draft.text == text


lines = st.lists(
    st.text(
        alphabet=st.characters(
            blacklist_categories=["Cs"], blacklist_characters="\x00\n\r"
        ),
        min_size=1,
    ).filter(lambda line: not line.isspace() and not line.startswith("\ufeff")),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=lines, separator=st.sampled_from(["\n", "\r\n"]))
def test_any_lines_round_trip(tmp_path: Path, lines: list[str], separator: str) -> None:
    path = write(tmp_path / "any.txt", separator.join(lines) + separator)

    results, _ = read(tmp_path, [path])

    assert [r.text for r in results if isinstance(r, TextDraft)] == lines
    assert not [r for r in results if isinstance(r, Rejection)]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {"text": texts},
            optional={"label": st.text(max_size=5), "n": st.integers(-100, 100)},
        ),
        min_size=1,
        max_size=10,
    )
)
def test_any_jsonl_round_trips(tmp_path: Path, rows: list[dict]) -> None:
    data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    path = write(tmp_path / "any.jsonl", data)

    results, _ = read(tmp_path, [path])

    assert [{"text": r.text, **r.meta} for r in results] == rows


@pytest.mark.parametrize("name", ["photo.txt", "photo.csv", "photo.jsonl"])
def test_binary_files_are_rejected_as_not_text(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    Image.effect_noise((64, 64), 80).save(path, format="PNG")

    results, _ = read(tmp_path, [path])

    assert summary(results) == [("rejected", name, f"{path}: binary data, not text")]


def test_csv_field_over_the_csv_limit_is_rejected_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    huge = "x" * 200_000
    path = write(tmp_path / "big.csv", f'text,label\n"{huge}",a\nok,b\n')

    results, _ = read(tmp_path, [path])

    assert summary(results) == [
        ("rejected", "big.csv:2", "bad CSV: field larger than field limit (131072)"),
        ("item", "big.csv:3", "ok"),
    ]
