from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotary.core import (
    BBox,
    ClassRegion,
    Guideline,
    Item,
    ItemStatus,
    Origin,
    Polygon,
    Span,
)
from annotary.errors import FormatError
from annotary.formats.jsonl import FORMAT, dump_jsonl, load_jsonl, project_from_load
from tests.formats.conftest import (
    MediaFolder,
    annotation,
    context,
    image_item,
    make_project,
)


def _text_records() -> list:
    item = Item(
        id=1,
        project_id=1,
        text="Ada Lovelace\r\nwrote 😀 notes",
        meta={"source": "a.txt"},
        status=ItemStatus.reviewed,
        split="val",
        excluded=True,
        exclude_reason="duplicate",
        flags=[{"check": "dup", "score": 0.9}],
        content_hash="abc",
    )
    regions = [Span(label="PER", start=0, end=12), ClassRegion(labels=["bio"])]
    ann = annotation(
        1,
        regions,
        id=7,
        author="ann",
        origin=Origin.model,
        model_name="m",
        model_version="2",
        guideline_version=2,
        lead_time=3.5,
        version=4,
    )
    return [(item, [ann])]


def _redump(path: Path, out: Path) -> tuple[dict, str]:
    result = load_jsonl(path)
    drafts = list(result.drafts)
    assert result.rejections == []
    records = []
    for number, draft in enumerate(drafts, start=1):
        item = Item(
            id=number,
            project_id=1,
            text=draft.text,
            media=draft.media,
            meta=draft.meta,
            status=draft.status or ItemStatus.new,
            split=draft.split,
            excluded=draft.excluded,
            exclude_reason=draft.exclude_reason,
            flags=draft.flags,
            content_hash=draft.content_hash,
            external_id=draft.external_id,
        )
        records.append((item, draft.annotations))
    ctx = context(project_from_load(result, 1), records, out)
    assert result.project is not None
    ctx.guidelines = [Guideline.model_validate(g) for g in result.project["guidelines"]]
    dump_jsonl(ctx)
    return result.project, out.read_text(encoding="utf-8")


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    project = make_project(labels=["PER", "bio"], tools=["span", "class"], kind="text")
    ctx = context(project, _text_records(), tmp_path / "a.jsonl")
    ctx.guidelines = [Guideline(version=1, text="v1"), Guideline(version=2, text="v2")]
    report = dump_jsonl(ctx)
    assert (report.items, report.annotations, report.regions) == (1, 1, 2)
    assert report.files == ["a.jsonl"]

    first = (tmp_path / "a.jsonl").read_text(encoding="utf-8")
    header, second = _redump(tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert second == first
    assert header["name"] == "demo"
    assert [g["version"] for g in header["guidelines"]] == [1, 2]

    line = json.loads(first.splitlines()[1])
    assert line["text"] == "Ada Lovelace\r\nwrote 😀 notes"
    assert line["annotations"][0]["origin"] == "model"
    assert line["annotations"][0]["lead_time"] == 3.5


def test_media_is_copied_content_addressed(tmp_path: Path, media: MediaFolder) -> None:
    items = [media.add(image_item(1)), media.add(image_item(2, name="b.png"))]
    records = [(items[0], [annotation(1, [BBox(label="cat", x=1, y=2, w=3, h=4)])])]
    records.append((items[1], []))
    report = dump_jsonl(context(make_project(), records, tmp_path / "out", media.path))

    assert report.files[0] == "annotary.jsonl"
    assert report.files[1:] == [f"media/{i.media.sha256}.png" for i in items]
    drafts = list(load_jsonl(tmp_path / "out").drafts)
    assert Path(drafts[0].file_path).read_bytes() == media.files[1].read_bytes()
    assert drafts[0].annotations[0].regions[0] == records[0][1][0].regions[0]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "ok"}', None),
        ("{not json", "not JSON"),
        ('{"file": "../../etc/passwd"}', "'..' is not allowed"),
        ('{"file": "/etc/passwd"}', "absolute paths are not allowed"),
        ('{"file": "media/missing.png"}', "is missing"),
        (
            '{"text": "t", "annotations": [{"regions": [{"type": "span", '
            '"start": "a", "end": 2}]}]}',
            "annotations[0]: regions.0.span.start: input should be a valid integer",
        ),
        ('{"text": "t", "annotations": [7]}', "annotations[0]: must be a JSON"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_lines_are_rejected_with_line_number(
    tmp_path: Path, line: str, reason: str | None
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"annotary": "project", "name": "p"}\n' + line + "\n")
    result = load_jsonl(path)
    drafts = list(result.drafts)
    if reason is None:
        assert [d.text for d in drafts] == ["ok"]
        assert result.rejections == []
    else:
        assert drafts == []
        assert result.rejections[0].source == "x.jsonl:2"
        assert reason in result.rejections[0].reason


def test_symlink_out_of_root_is_rejected(tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"x")
    (tmp_path / "root" / "media").mkdir(parents=True)
    (tmp_path / "root" / "media" / "a.png").symlink_to(outside)
    path = tmp_path / "root" / "annotary.jsonl"
    path.write_text('{"file": "media/a.png"}\n')
    result = load_jsonl(tmp_path / "root")
    assert list(result.drafts) == []
    assert "outside the import root" in result.rejections[0].reason


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such JSONL file"):
        load_jsonl(tmp_path / "none.jsonl")


def test_format_object_is_registered() -> None:
    from annotary import plugins

    assert plugins.formats.get("jsonl.v1") is FORMAT
    assert FORMAT.kinds >= {"image", "text"}


_label = st.sampled_from(["cat", "dog"])
_box = st.builds(
    BBox,
    label=_label,
    x=st.floats(-50, 500, allow_nan=False),
    y=st.floats(-50, 500, allow_nan=False),
    w=st.floats(0, 300, allow_nan=False),
    h=st.floats(0, 300, allow_nan=False),
    rotation=st.floats(-180, 180, allow_nan=False),
    attributes=st.dictionaries(st.sampled_from(["a", "b"]), st.integers()),
)
_polygon = st.builds(
    Polygon,
    label=_label,
    points=st.lists(st.tuples(st.floats(0, 99), st.floats(0, 99)), min_size=3),
)
_text = st.text(max_size=30)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    projects=st.lists(
        st.tuples(_text, st.lists(st.one_of(_box, _polygon), max_size=4)),
        max_size=5,
    )
)
def test_property_round_trip(tmp_path: Path, projects: list) -> None:
    records = [
        (
            Item(id=n, project_id=1, text=text, meta={"n": n}),
            [annotation(n, regions, id=n)] if regions else [],
        )
        for n, (text, regions) in enumerate(projects, start=1)
    ]
    out = tmp_path / "p.jsonl"
    dump_jsonl(context(make_project(kind="text"), records, out))
    first = out.read_text(encoding="utf-8")
    _, second = _redump(out, tmp_path / "q.jsonl")
    assert second == first


def _every_region() -> list:
    from annotary.core.regions import REGION_TYPES

    regions = [
        ClassRegion(labels=["a", "b"], score=0.5, attributes={"t": (1, 2)}),
        BBox(x=1.5, y=2, w=3, h=4, rotation=12.5, frame=3, label="cat"),
        Polygon(points=[(0, 0), (4, 0), (4, 4)], holes=[[(1, 1), (2, 1), (2, 2)]]),
        REGION_TYPES["mask"](size=(2, 3), counts=[0, 6]),
        REGION_TYPES["keypoints"](points=[(1.0, 2.0, 2), (0, 0, 0)]),
        Span(start=0, end=2, text="Ad", label="PER"),
        REGION_TYPES["relation"](source="r1", target="r2", label="knows"),
        REGION_TYPES["segment"](start=0.25, end=1.5),
        REGION_TYPES["transcript"](text="hi\r\nthere 😀", start=0.0),
        REGION_TYPES["track"](keyframes=[{"frame": 0, "x": 1, "y": 2, "w": 3, "h": 4}]),
        REGION_TYPES["cuboid"](center=(1, 2, 3), size=(4, 5, 6), yaw=0.5),
    ]
    assert sorted({r.type for r in regions}) == sorted(REGION_TYPES)
    return regions


@pytest.mark.parametrize(
    "odd",
    [
        {},
        # Not JSON: pydantic's JSON mode and orjson both write null.
        {"meta": {"nan": float("nan"), "inf": float("-inf")}},
        # Past 64 bits: orjson refuses, the general writer is used.
        {"meta": {"big": 2**64}},
    ],
)
def test_item_bytes_equal_the_model_dump_line(odd: dict) -> None:
    """The fast line is byte for byte what model_dump and _write_line give."""
    import io
    from datetime import UTC, datetime, timedelta, timezone

    from annotary.formats import jsonl

    (item, [ann]), (image, _) = _text_records()[0], (image_item(2), None)
    item = item.model_copy(update=odd)
    stamps = [
        datetime(2026, 1, 2, 3, 4, 5),
        datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
    ]
    anns = [
        ann,
        annotation(1, _every_region(), created_at=stamps[0], updated_at=stamps[1]),
        annotation(1, [], state="draft", created_at=stamps[2], parent_id=7),
    ]
    for record, file in (((item, anns), None), ((image, []), "media/x.png")):
        want = jsonl._item_line(*record)
        if file is not None:
            want["file"] = file
        buffer = io.BytesIO()
        jsonl._write_line(buffer, want)
        got = jsonl._item_bytes(*record, file)
        assert got == buffer.getvalue()
    assert b'"labels":["a","b"]' in jsonl._item_bytes(item, anns, None)
    line = json.loads(jsonl._item_bytes(item, anns, None))
    assert line["annotations"][1]["updated_at"] == "2026-01-02T03:04:05.000120Z"
    assert line["annotations"][2]["created_at"] == "2026-01-02T03:04:05-05:00"
    assert line["annotations"][1]["regions"][9]["keyframes"][0]["outside"] is False
