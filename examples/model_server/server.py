"""A tiny model server that speaks Annotary's pre-labeling protocol.

It stands in for a real model, to show the shape of the exchange
(docs/model-protocol.md) with nothing but the standard library:

- text items: a span for every case-insensitive occurrence of a label's
  ``examples`` phrases (score 0.9);
- image items: one box over the centre half of the image, labelled with the
  first schema label (score 0.5), with the number of bytes received noted in
  the region's attributes.

Run it with ``python examples/model_server/server.py --port 8765``; port 0
picks a free port, and the first line printed is the address it listens on.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = {"name": "keyword-demo", "version": "1", "kinds": ["text", "image"]}
MAX_BODY = 64 * 1024 * 1024


def predict(request: dict[str, Any]) -> dict[str, Any]:
    """Regions for every item of a ``/predict`` request."""
    labels = request["schema"]["labels"]
    predictions = []
    for item in request["items"]:
        if item["kind"] == "text":
            regions = text_regions(item.get("text") or "", labels)
        elif item["kind"] == "image":
            regions = image_regions(item, labels)
        else:
            regions = []
        predictions.append({"item_id": item["id"], "regions": regions})
    return {"model": MODEL, "predictions": predictions}


def text_regions(text: str, labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    regions = []
    for label in labels:
        for phrase in label.get("examples", []):
            pattern = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE)
            for match in pattern.finditer(text):
                regions.append(
                    {
                        "type": "span",
                        "start": match.start(),
                        "end": match.end(),
                        "label": label["name"],
                        "score": 0.9,
                    }
                )
    return regions


def image_regions(
    item: dict[str, Any], labels: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    width, height = item.get("width"), item.get("height")
    if not labels or not width or not height:
        return []
    received = len(base64.b64decode(item["data"])) if item.get("data") else 0
    return [
        {
            "type": "bbox",
            "x": width / 4,
            "y": height / 4,
            "w": width / 2,
            "h": height / 2,
            "label": labels[0]["name"],
            "score": 0.5,
            "attributes": {"bytes": received},
        }
    ]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/info":
            self._reply(200, MODEL)
        else:
            self._reply(404, {"error": f"no such path {self.path}"})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/predict":
            self._reply(404, {"error": f"no such path {self.path}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, {"error": "request too large"})
            return
        try:
            request = json.loads(self.rfile.read(length))
            self._reply(200, predict(request))
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(400, {"error": f"bad request: {exc!r}"})

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a demo server should not fill the terminal."""

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
