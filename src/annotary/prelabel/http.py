"""``http.v1``: any model server that speaks the JSON protocol of
docs/model-protocol.md.

``GET {url}/info`` names the model and its version; ``POST {url}/predict``
takes a batch of items and the label schema and answers regions with scores.
Everything the server answers is validated into core types here, at the edge;
a reply that does not fit is refused with the item and region it concerns.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from annotary.core.models import Annotation, Item
from annotary.core.regions import Region
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError, InvalidInput, Unavailable
from annotary.prelabel.base import Prediction, PrelabelInput, item_kind

log = logging.getLogger("annotary.prelabel")

PROTOCOL = "annotary.prelabel/1"
_REGION = TypeAdapter(Region)


class HttpPrelabeler:
    """``http.v1``: an external model over the JSON protocol.

    Options: ``url`` (required, the server's base URL), ``timeout`` (seconds,
    default 30), ``batch_size`` (items per request, default 16), ``send``
    (``"bytes"`` sends media base64-encoded in the JSON, ``"path"`` sends the
    local path for a server that shares the file system), ``headers`` (added
    to every request, e.g. an Authorization token), ``transport`` (an httpx
    transport, for tests).
    """

    name = "http.v1"
    kinds = frozenset({"text", "image", "audio", "video", "pointcloud"})

    def __init__(
        self,
        *,
        url: str,
        timeout: float = 30.0,
        batch_size: int = 16,
        send: str = "bytes",
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"{self.name}: url {url!r} is not http(s)", field="url")
        if send not in ("bytes", "path"):
            raise InvalidInput(f"{self.name}: send must be 'bytes' or 'path'")
        if batch_size < 1:
            raise InvalidInput(f"{self.name}: batch_size must be at least 1")
        self.url = url.rstrip("/")
        self.batch_size = batch_size
        self.send = send
        self._client = httpx.Client(
            timeout=timeout, headers=headers or {}, transport=transport
        )
        self._info: dict[str, Any] | None = None

    def close(self) -> None:
        self._client.close()

    def info(self, *, refresh: bool = False) -> dict[str, Any]:
        """The server's model description: name, version, kinds."""
        if self._info is None or refresh:
            body = self._call("GET", "/info")
            if not isinstance(body.get("name"), str) or not isinstance(
                body.get("version"), str
            ):
                raise FormatError(
                    f"{self.url}/info: needs string fields 'name' and 'version'",
                    url=self.url,
                )
            self._info = body
        return self._info

    @property
    def version(self) -> str:
        return str(self.info()["version"])

    def fit(
        self, items: list[Item], annotations: list[Annotation], schema: LabelSchema
    ) -> None:
        """The remote model trains (or not) on its own; nothing to do here."""

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        """Send the batch in requests of ``batch_size`` items; one prediction each."""
        log.info("%s: %s items to %s", self.name, len(batch), self.url)
        predictions: list[Prediction] = []
        for first in range(0, len(batch), self.batch_size):
            chunk = batch[first : first + self.batch_size]
            predictions += self._predict_chunk(chunk, schema)
        return predictions

    def _predict_chunk(
        self, chunk: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]:
        payload = {
            "protocol": PROTOCOL,
            "schema": schema.model_dump(mode="json"),
            "items": [self._item_payload(entry) for entry in chunk],
        }
        body = self._call("POST", "/predict", payload)
        return parse_reply(body, chunk, schema, where=f"{self.url}/predict")

    def _item_payload(self, entry: PrelabelInput) -> dict[str, Any]:
        item = entry.item
        data: dict[str, Any] = {
            "id": item.id,
            "kind": item_kind(item),
            "text": item.text,
            "meta": item.meta,
            "width": item.width,
            "height": item.height,
            "mime": item.media.mime if item.media else None,
        }
        if entry.path is not None and self.send == "bytes":
            data["data"] = base64.b64encode(entry.path.read_bytes()).decode("ascii")
        elif entry.path is not None:
            data["path"] = str(entry.path)
        return data

    def _call(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        url = self.url + path
        try:
            response = self._client.request(method, url, json=payload)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"{self.name}: {url} did not answer ({exc})", url=url
            ) from None
        if response.status_code != 200:
            raise Unavailable(
                f"{self.name}: {url} answered {response.status_code}: "
                f"{response.text[:200]}",
                url=url,
                status=response.status_code,
            )
        try:
            body = response.json()
        except ValueError:
            raise FormatError(f"{url}: the reply is not JSON", url=url) from None
        if not isinstance(body, dict):
            raise FormatError(f"{url}: the reply is not a JSON object", url=url)
        return body


def parse_reply(
    body: dict[str, Any],
    chunk: list[PrelabelInput],
    schema: LabelSchema,
    *,
    where: str,
) -> list[Prediction]:
    """Validate a ``/predict`` reply into one prediction per sent item, in order.

    Items the reply leaves out get an empty prediction; an item id that was not
    sent, a region that is not a core region, a label outside the schema or a
    score missing or outside [0, 1] is a FormatError naming item and region.
    """
    model = body.get("model")
    if not isinstance(model, dict) or not all(
        isinstance(model.get(key), str) for key in ("name", "version")
    ):
        raise FormatError(f"{where}: 'model' needs string 'name' and 'version'")
    raw = body.get("predictions")
    if not isinstance(raw, list):
        raise FormatError(f"{where}: 'predictions' must be a list")

    sent = [entry.item.id for entry in chunk]
    regions: dict[int, list[Any]] = {item_id: [] for item_id in sent}
    for position, entry in enumerate(raw):
        item_id = entry.get("item_id") if isinstance(entry, dict) else None
        if item_id not in regions:
            raise FormatError(
                f"{where}: predictions[{position}] has item_id {item_id!r}, "
                f"which was not sent",
                position=position,
            )
        for index, region in enumerate(entry.get("regions") or []):
            regions[item_id].append(
                _region(region, schema, f"{where} item {item_id}", index)
            )

    return [
        Prediction(
            item_id=item_id,
            regions=regions[item_id],
            model_name=model["name"],
            model_version=model["version"],
        )
        for item_id in sent
    ]


def _region(raw: Any, schema: LabelSchema, where: str, index: int) -> Any:
    try:
        region = _REGION.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise FormatError(
            f"{where} region {index}: {field}: {first['msg']}", region=index
        ) from None

    if region.score is None or not 0.0 <= region.score <= 1.0:
        raise FormatError(
            f"{where} region {index}: score must be in [0, 1], got {region.score}",
            region=index,
        )
    labels = getattr(region, "labels", None) or [region.label]
    for label in labels:
        if label is not None and label not in schema.names:
            raise FormatError(
                f"{where} region {index}: label {label!r} is not in the schema",
                region=index,
            )
    return region
