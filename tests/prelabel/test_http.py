"""``http.v1`` against the example server on loopback, and bad replies."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from annotary.core import BBox, Span
from annotary.errors import FormatError, InvalidInput, Unavailable
from annotary.prelabel import load_prelabeler
from annotary.prelabel.http import PROTOCOL, HttpPrelabeler
from tests.prelabel.conftest import image_input, schema, text_input

SERVER = Path(__file__).resolve().parents[2] / "examples" / "model_server" / "server.py"
PEOPLE = schema("person", "place", person=["Ada Lovelace"], place=["London"])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        yield line.removeprefix("listening on ")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_text_items_round_trip_through_the_example_server(server_url: str) -> None:
    model = load_prelabeler("http.v1", url=server_url)
    text = "🙂 Ada Lovelace met Babbage in London; ada lovelace wrote notes."

    predictions = model.predict([text_input(4, text), text_input(5, "nothing")], PEOPLE)

    assert [p.item_id for p in predictions] == [4, 5]
    spans = predictions[0].regions
    assert all(isinstance(s, Span) for s in spans)
    assert [(s.start, s.end, s.label, s.score) for s in spans] == [
        (2, 14, "person", 0.9),
        (38, 50, "person", 0.9),
        (30, 36, "place", 0.9),
    ]
    assert text[2:14] == "Ada Lovelace" and text[30:36] == "London"
    assert text[38:50] == "ada lovelace"
    assert predictions[1].regions == []
    assert (predictions[0].model_name, predictions[0].model_version) == (
        "keyword-demo",
        "1",
    )
    assert model.version == "1"
    assert model.info()["kinds"] == ["text", "image"]
    model.close()


def test_image_bytes_reach_the_server_in_batches(
    server_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "grey.png"
    Image.new("L", (640, 480), 128).save(path)
    model = HttpPrelabeler(url=server_url, batch_size=2)
    batch = [image_input(i, path, 640, 480) for i in range(5)]

    predictions = model.predict(batch, PEOPLE)

    assert [p.item_id for p in predictions] == [0, 1, 2, 3, 4]
    box = predictions[3].regions[0]
    assert isinstance(box, BBox)
    assert (box.x, box.y, box.w, box.h, box.label) == (160, 120, 320, 240, "person")
    assert box.attributes["bytes"] == path.stat().st_size
    model.close()


def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = HttpPrelabeler(url=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(Unavailable, match="did not answer"):
        model.predict([text_input(1, "x")], PEOPLE)


def _mock(reply: Any, status: int = 200) -> HttpPrelabeler:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/info"):
            return httpx.Response(200, json={"name": "m", "version": "7"})
        sent = json.loads(request.content)
        assert sent["protocol"] == PROTOCOL
        body = reply(sent) if callable(reply) else reply
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return HttpPrelabeler(
        url="http://model.test", transport=httpx.MockTransport(handle)
    )


MODEL = {"name": "m", "version": "7"}


def _reply(*regions: dict[str, Any], item_id: int = 1) -> dict[str, Any]:
    return {"model": MODEL, "predictions": [{"item_id": item_id, "regions": regions}]}


GOOD_SPAN = {"type": "span", "start": 0, "end": 3, "label": "person", "score": 0.4}


@pytest.mark.parametrize(
    ("reply", "status", "error", "message"),
    [
        (_reply(GOOD_SPAN), 200, None, None),
        ({"model": MODEL, "predictions": []}, 200, None, None),
        ("oops", 500, Unavailable, "answered 500: oops"),
        ("not json", 200, FormatError, "not JSON"),
        ([1, 2], 200, FormatError, "not a JSON object"),
        ({"predictions": []}, 200, FormatError, "'model' needs"),
        ({"model": MODEL}, 200, FormatError, "'predictions' must be a list"),
        (_reply(GOOD_SPAN, item_id=9), 200, FormatError, "item_id 9, which was not"),
        (_reply({**GOOD_SPAN, "score": None}), 200, FormatError, "region 0: score"),
        (_reply({**GOOD_SPAN, "score": 1.5}), 200, FormatError, "got 1.5"),
        (_reply({**GOOD_SPAN, "label": "cat"}), 200, FormatError, "'cat' is not in"),
        (_reply({**GOOD_SPAN, "end": -1}), 200, FormatError, "region 0: span.end"),
        (_reply({"type": "blob", "score": 1}), 200, FormatError, "region 0"),
        (
            _reply({"type": "class", "labels": ["person", "dog"], "score": 0.5}),
            200,
            FormatError,
            "'dog' is not in",
        ),
    ],
)
def test_replies_are_validated_at_the_edge(
    reply: Any, status: int, error: type[Exception] | None, message: str | None
) -> None:
    model = _mock(reply, status)
    if error is None:
        (prediction,) = model.predict([text_input(1, "Ada")], PEOPLE)
        assert prediction.model_name == "m" and prediction.model_version == "7"
        assert len(prediction.regions) == len(
            reply["predictions"][0]["regions"] if reply["predictions"] else []
        )
        return
    with pytest.raises(error, match=message):
        model.predict([text_input(1, "Ada")], PEOPLE)


def test_send_path_sends_the_local_path(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def record(sent: dict[str, Any]) -> dict[str, Any]:
        seen.extend(sent["items"])
        return {"model": MODEL, "predictions": []}

    model = _mock(record)
    model.send = "path"
    path = tmp_path / "a.png"
    path.write_bytes(b"png")

    model.predict([image_input(3, path, 2, 2)], PEOPLE)

    assert seen[0]["path"] == str(path) and "data" not in seen[0]
    assert seen[0]["kind"] == "image" and seen[0]["width"] == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "ftp://x"}, "is not http"),
        ({"url": "http://x", "send": "s3"}, "send must be"),
        ({"url": "http://x", "batch_size": 0}, "batch_size"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        HttpPrelabeler(**options)
