"""``annotary.Client``: the REST API from Python, with core types in and out.

Errors come back as the same :mod:`annotary.errors` classes the server raised
(a stale update is :class:`~annotary.errors.StaleVersion`, with the current
annotation in ``details["current"]``).
"""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from annotary import errors
from annotary.core.models import Annotation, ImportReport, Item, Project, User
from annotary.core.regions import Region
from annotary.core.schema import Guideline, LabelSchema

API = "/api/v1"
_BY_STATUS: dict[int, type[errors.AnnotaryError]] = {
    401: errors.NotAuthenticated,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    413: errors.LimitExceeded,
    422: errors.InvalidInput,
    503: errors.Unavailable,
}


def _error_classes() -> dict[str, type[errors.AnnotaryError]]:
    found: dict[str, type[errors.AnnotaryError]] = {}
    pending: list[type[errors.AnnotaryError]] = [errors.AnnotaryError]
    while pending:
        kind = pending.pop()
        found[kind.code] = kind
        pending.extend(kind.__subclasses__())
    return found


_BY_CODE = _error_classes()


def raise_for_error(response: httpx.Response) -> None:
    """Raise the Annotary error a failed response carries; do nothing on success."""
    if response.is_success:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    kind = _BY_CODE.get(str(body.get("code")))
    if kind is None:
        kind = _BY_STATUS.get(response.status_code, errors.AnnotaryError)
    message = str(body.get("message") or f"HTTP {response.status_code}")
    details = body.get("details")
    if not isinstance(details, dict):
        details = {}
    raise kind(message, **details)


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


class Client:
    """A connection to an Annotary server.

    Args:
        url: The server's base address, e.g. ``http://127.0.0.1:8080``.
        token: An API token (``annotary token create``); None for anonymous.
        timeout: Seconds to wait for each response.
        transport: An httpx transport to use instead of the network (tests).

    Example:
        >>> with Client("http://127.0.0.1:8080", token) as client:  # doctest: +SKIP
        ...     project = client.create_project("cats", "image")
        ...     client.import_files(project.id, ["photos.zip"])
        ...     item = client.next_item(project.id)
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Token {token}"} if token else {}
        #: The report of the latest :meth:`export` (items, annotations, what the
        #: format left out, warnings), or None.
        self.last_export_report: dict[str, Any] | None = None
        self._http = httpx.Client(
            base_url=url.rstrip("/") + API,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self._reaching():
            response = self._http.request(method, path, **kwargs)
        raise_for_error(response)
        return response

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """Transport failures (no server, timeout, broken connection) as
        :class:`Unavailable`, naming the server's URL."""
        try:
            yield
        except httpx.TransportError as exc:
            url = str(self._http.base_url)
            reason = str(exc) or type(exc).__name__
            raise errors.Unavailable(
                f"cannot reach the Annotary server at {url}: {reason}", url=url
            ) from exc

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # Server and account ------------------------------------------------------

    def health(self) -> dict[str, str]:
        result: dict[str, str] = self._json("GET", "/health")
        return result

    def me(self) -> User:
        return User.model_validate(self._json("GET", "/auth/me")["user"])

    def users(self) -> list[User]:
        return [User.model_validate(u) for u in self._json("GET", "/users")]

    def create_user(
        self, username: str, password: str, *, is_admin: bool = False
    ) -> User:
        body = {"username": username, "password": password, "is_admin": is_admin}
        return User.model_validate(self._json("POST", "/users", json=body))

    def create_token(self, name: str = "default") -> str:
        """A new API token for the caller; the server shows it only this once."""
        token: str = self._json("POST", "/tokens", json={"name": name})["token"]
        return token

    # Projects ----------------------------------------------------------------

    def projects(self) -> list[Project]:
        return [Project.model_validate(p) for p in self._json("GET", "/projects")]

    def project(self, project_id: int) -> Project:
        return Project.model_validate(self._json("GET", f"/projects/{project_id}"))

    def project_counts(self, project_id: int) -> dict[str, int]:
        """Items by status: total, new, in_progress, done, reviewed, excluded."""
        counts: dict[str, int] = self._json("GET", f"/projects/{project_id}")["counts"]
        return counts

    def create_project(
        self,
        name: str,
        kind: str,
        *,
        label_schema: LabelSchema | dict[str, Any] | None = None,
        guideline_text: str = "",
        description: str = "",
        settings: dict[str, Any] | None = None,
    ) -> Project:
        body = {
            "name": name,
            "kind": kind,
            "label_schema": _dump(label_schema),
            "guideline_text": guideline_text,
            "description": description,
            "settings": settings,
        }
        return Project.model_validate(self._json("POST", "/projects", json=body))

    def update_project(
        self,
        project_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Project:
        body = {"name": name, "description": description, "settings": settings}
        body = {k: v for k, v in body.items() if v is not None}
        data = self._json("PATCH", f"/projects/{project_id}", json=body)
        return Project.model_validate(data)

    def guidelines(self, project_id: int) -> list[Guideline]:
        data = self._json("GET", f"/projects/{project_id}/guidelines")
        return [Guideline.model_validate(g) for g in data]

    def add_guideline(
        self,
        project_id: int,
        text: str,
        label_schema: LabelSchema | dict[str, Any] | None = None,
    ) -> Guideline:
        """Save a new guideline version (and schema); it becomes current."""
        body = {"text": text, "schema": _dump(label_schema)}
        data = self._json("POST", f"/projects/{project_id}/guidelines", json=body)
        return Guideline.model_validate(data)

    def members(self, project_id: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json(
            "GET", f"/projects/{project_id}/members"
        )
        return result

    def set_member(self, project_id: int, user_id: int, role: str) -> None:
        path = f"/projects/{project_id}/members/{user_id}"
        self._request("PUT", path, json={"role": role})

    def remove_member(self, project_id: int, user_id: int) -> None:
        self._request("DELETE", f"/projects/{project_id}/members/{user_id}")

    # Items -------------------------------------------------------------------

    def items(
        self, project_id: int, *, page_size: int = 200, **filters: Any
    ) -> Iterator[Item]:
        """Every item (that the caller may see), fetched a cursor page at a time.

        ``filters``: status, label, annotator, split, q, excluded, sort.
        """
        params = {k: v for k, v in filters.items() if v is not None}
        params["limit"] = page_size
        cursor: str | None = None
        while True:
            if cursor:
                params["cursor"] = cursor
            page = self._json("GET", f"/projects/{project_id}/items", params=params)
            for row in page["items"]:
                yield Item.model_validate(row)
            cursor = page["next_cursor"]
            if not cursor:
                return

    def item(self, item_id: int) -> Item:
        return Item.model_validate(self._json("GET", f"/items/{item_id}"))

    def media(self, item_id: int) -> bytes:
        """The item's stored file, byte for byte."""
        return self._request("GET", f"/items/{item_id}/media").content

    def update_item(
        self,
        item_id: int,
        *,
        excluded: bool | None = None,
        exclude_reason: str | None = None,
        split: str | None = None,
    ) -> Item:
        body = {"excluded": excluded, "exclude_reason": exclude_reason, "split": split}
        body = {k: v for k, v in body.items() if v is not None}
        return Item.model_validate(self._json("PATCH", f"/items/{item_id}", json=body))

    def bulk(self, project_id: int, ids: Sequence[int], action: str) -> int:
        """Exclude, include or requeue items; returns how many changed."""
        body = {"ids": list(ids), "action": action}
        data = self._json("POST", f"/projects/{project_id}/items/bulk", json=body)
        return int(data["changed"])

    # Queue -------------------------------------------------------------------

    def next_item(self, project_id: int) -> Item | None:
        """Lease the next item to label, or None when nothing is left."""
        response = self._request("POST", f"/projects/{project_id}/queue/next")
        if response.status_code == 204:
            return None
        return Item.model_validate(response.json()["item"])

    def skip(self, project_id: int, item_id: int) -> None:
        self._request("POST", f"/projects/{project_id}/queue/{item_id}/skip")

    def release(self, project_id: int, item_id: int) -> None:
        self._request("POST", f"/projects/{project_id}/queue/{item_id}/release")

    # Annotations -------------------------------------------------------------

    def annotations(self, item_id: int) -> list[Annotation]:
        data = self._json("GET", f"/items/{item_id}/annotations")
        return [Annotation.model_validate(a) for a in data]

    def create_annotation(
        self,
        item_id: int,
        regions: Sequence[Region | dict[str, Any]],
        *,
        state: str = "submitted",
        lead_time: float | None = None,
        parent_id: int | None = None,
    ) -> Annotation:
        body = {
            "regions": _dump(list(regions)),
            "state": state,
            "lead_time": lead_time,
            "parent_id": parent_id,
        }
        data = self._json("POST", f"/items/{item_id}/annotations", json=body)
        return Annotation.model_validate(data)

    def submit(
        self,
        item_id: int,
        regions: Sequence[Region | dict[str, Any]],
        *,
        lead_time: float | None = None,
        parent_id: int | None = None,
    ) -> Annotation:
        """Submit a finished annotation of the item."""
        return self.create_annotation(
            item_id,
            regions,
            state="submitted",
            lead_time=lead_time,
            parent_id=parent_id,
        )

    def update_annotation(
        self,
        annotation_id: int,
        *,
        version: int,
        regions: Sequence[Region | dict[str, Any]] | None = None,
        state: str | None = None,
        lead_time: float | None = None,
    ) -> Annotation:
        """Change an annotation last seen at ``version``.

        Raises:
            StaleVersion: someone changed it since; ``details["current"]`` holds
                the annotation as it is now.
        """
        body: dict[str, Any] = {"version": version}
        if regions is not None:
            body["regions"] = _dump(list(regions))
        if state is not None:
            body["state"] = state
        if lead_time is not None:
            body["lead_time"] = lead_time
        data = self._json("PUT", f"/annotations/{annotation_id}", json=body)
        return Annotation.model_validate(data)

    def delete_annotation(
        self, annotation_id: int, *, version: int | None = None
    ) -> None:
        params = {"version": version} if version is not None else {}
        self._request("DELETE", f"/annotations/{annotation_id}", params=params)

    # Import and export -------------------------------------------------------

    def import_files(
        self,
        project_id: int,
        paths: Sequence[str | Path],
        *,
        format: str | None = None,
        field: str | None = None,
        text_mode: str = "line",
    ) -> ImportReport:
        """Upload files (folders are walked) and import them; one report."""
        files = _expand(paths)
        data = {"text_mode": text_mode}
        if format:
            data["format"] = format
        if field:
            data["field"] = field
        with ExitStack() as stack:
            parts = [
                (
                    "files",
                    (
                        path.name,
                        stack.enter_context(path.open("rb")),
                        mimetypes.guess_type(path.name)[0]
                        or "application/octet-stream",
                    ),
                )
                for path in files
            ]
            response = self._request(
                "POST", f"/projects/{project_id}/imports", files=parts, data=data
            )
        return ImportReport.model_validate(response.json())

    def export(
        self,
        project_id: int,
        format: str,
        out: str | Path,
        *,
        options: dict[str, Any] | None = None,
    ) -> Path:
        """Export the project and write the file (a zip for folder formats) to ``out``.

        ``out`` may be a folder; the server's file name is used inside it. The
        format's report is kept in :attr:`last_export_report`.
        """
        body = {"format": format, "options": options or {}}
        return self._download("POST", f"/projects/{project_id}/exports", out, json=body)

    def export_formats(self, project_id: int) -> list[dict[str, str]]:
        """The formats that can hold this project's data: name and description."""
        found: list[dict[str, str]] = self._json(
            "GET", f"/projects/{project_id}/exports/formats"
        )
        return found

    def _download(self, method: str, path: str, out: str | Path, **kwargs: Any) -> Path:
        """Stream a file answer to ``out`` (a folder takes the server's name)."""
        target = Path(out)
        folder = target if target.is_dir() else target.parent
        if str(out).endswith(("/", os.sep)) and not target.is_dir():
            folder = target
        if not folder.is_dir():
            raise errors.InvalidInput(
                f"cannot write to {out}: the folder {folder} does not exist",
                field="out",
                path=str(out),
            )
        with self._reaching(), self._http.stream(method, path, **kwargs) as response:
            if not response.is_success:
                response.read()
                raise_for_error(response)
            report = response.headers.get("x-annotary-export-report")
            self.last_export_report = json.loads(report) if report else None
            if target.is_dir():
                target = target / _filename(response)
            try:
                with target.open("wb") as sink:
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
            except OSError as exc:
                raise errors.InvalidInput(
                    f"cannot write to {target}: {exc.strerror or exc}",
                    field="out",
                    path=str(target),
                ) from exc
        return target

    # Splits and snapshots ----------------------------------------------------

    def split(
        self,
        project_id: int,
        *,
        ratios: dict[str, float] | None = None,
        seed: int = 0,
        stratify: bool = False,
        group_by: str | None = None,
        by_clusters: bool = True,
        preview: bool = False,
    ) -> dict[str, Any]:
        """Split the items (managers): counts, by_label, warnings and leakage.

        With ``preview`` nothing is stored.
        """
        body = {
            "strategy": "stratified" if stratify else "random",
            "ratios": ratios,
            "seed": seed,
            "group_by": group_by,
            "by_clusters": by_clusters,
            "preview": preview,
        }
        result: dict[str, Any] = self._json(
            "POST", f"/projects/{project_id}/splits", json=body
        )
        return result

    def splits(self, project_id: int) -> dict[str, Any]:
        """Items per split as stored now, with unassigned and excluded counts."""
        result: dict[str, Any] = self._json("GET", f"/projects/{project_id}/splits")
        return result

    def leakage(self, project_id: int) -> dict[str, Any]:
        """Exact and near duplicates that sit in different splits now."""
        result: dict[str, Any] = self._json("GET", f"/projects/{project_id}/leakage")
        return result

    def create_snapshot(
        self,
        project_id: int,
        *,
        name: str | None = None,
        format: str = "jsonl",
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Freeze an export with a manifest (managers); the snapshot's summary."""
        body = {"name": name, "format": format, "options": options or {}}
        result: dict[str, Any] = self._json(
            "POST", f"/projects/{project_id}/snapshots", json=body
        )
        return result

    def snapshots(self, project_id: int) -> list[dict[str, Any]]:
        """The project's snapshots, oldest first."""
        result: list[dict[str, Any]] = self._json(
            "GET", f"/projects/{project_id}/snapshots"
        )
        return result

    def snapshot(self, snapshot_id: int) -> dict[str, Any]:
        """One snapshot's summary."""
        result: dict[str, Any] = self._json("GET", f"/snapshots/{snapshot_id}")
        return result

    def snapshot_manifest(self, snapshot_id: int) -> dict[str, Any]:
        """The manifest a training run cites: ids, versions, splits, sha256."""
        result: dict[str, Any] = self._json("GET", f"/snapshots/{snapshot_id}/manifest")
        return result

    def snapshot_diff(self, old_id: int, new_id: int) -> dict[str, Any]:
        """What changed from one snapshot to another."""
        result: dict[str, Any] = self._json("GET", f"/snapshots/{old_id}/diff/{new_id}")
        return result

    def download_snapshot(self, snapshot_id: int, out: str | Path) -> Path:
        """The frozen files and manifest.json as a zip, written to ``out``."""
        return self._download("GET", f"/snapshots/{snapshot_id}/download", out)

    # Cleaning ----------------------------------------------------------------

    def clean(
        self,
        project_id: int,
        *,
        checks: Sequence[str] | None = None,
        params: dict[str, dict[str, Any]] | None = None,
        background: bool = False,
    ) -> dict[str, Any]:
        """Run the cleaning checks; the report, or the queued job if background
        (``{"job": id, "state": "queued", ...}``; follow it with ``job(id)``)."""
        body = {
            "checks": list(checks) if checks is not None else None,
            "params": params or {},
            "background": background,
        }
        result: dict[str, Any] = self._json(
            "POST", f"/projects/{project_id}/clean", json=body
        )
        return result

    def flags(
        self,
        project_id: int,
        *,
        check: str | None = None,
        min_score: float | None = None,
        decision: str | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> dict[str, Any]:
        """Cleaning flags, highest score first: ``{"total", "flags"}``."""
        query: dict[str, Any] = {"limit": limit, "offset": offset}
        for key, value in (
            ("check", check),
            ("min_score", min_score),
            ("decision", decision),
        ):
            if value is not None:
                query[key] = value
        result: dict[str, Any] = self._json(
            "GET", f"/projects/{project_id}/flags", params=query
        )
        return result

    def flag_count(self, project_id: int, check: str, threshold: float) -> int:
        """Items a check flags at a score of at least ``threshold``."""
        query = {"check": check, "threshold": threshold}
        result = self._json("GET", f"/projects/{project_id}/flags/count", params=query)
        return int(result["items"])

    def clusters(
        self, project_id: int, *, check: str | None = None
    ) -> list[dict[str, Any]]:
        """Duplicate clusters with their members and suggested representative."""
        query = {"check": check} if check else {}
        result: list[dict[str, Any]] = self._json(
            "GET", f"/projects/{project_id}/clusters", params=query
        )
        return result

    def decide(
        self,
        project_id: int,
        decisions: dict[int, str],
        *,
        reason: str | None = None,
    ) -> dict[str, int]:
        """Keep, exclude or restore items: ``{item_id: "keep"|"exclude"|"restore"}``."""
        body = {
            "decisions": {str(k): v for k, v in decisions.items()},
            "reason": reason,
        }
        result: dict[str, int] = self._json(
            "POST", f"/projects/{project_id}/decisions", json=body
        )
        return result

    def apply_suggestions(self, project_id: int) -> dict[str, int]:
        """Apply the suggested keep/exclude decisions of the last cleaning run."""
        result: dict[str, int] = self._json(
            "POST", f"/projects/{project_id}/clean/apply-suggestions"
        )
        return result

    def keep_one_per_cluster(
        self, project_id: int, clusters: Sequence[str] | None = None
    ) -> dict[str, int]:
        """Keep each cluster's representative and exclude its other members."""
        body = {"clusters": list(clusters) if clusters is not None else None}
        result: dict[str, int] = self._json(
            "POST", f"/projects/{project_id}/clean/keep-one", json=body
        )
        return result

    def repair_text(
        self, project_id: int, item_id: int, text: str | None = None
    ) -> dict[str, Any]:
        """Apply the suggested text repair as a new revision (409 if annotated)."""
        result: dict[str, Any] = self._json(
            "POST",
            f"/projects/{project_id}/items/{item_id}/repair",
            json={"text": text},
        )
        return result

    def repair_all(self, project_id: int) -> dict[str, list[int]]:
        """Apply every allowed text repair; ids "repaired" and "offered"."""
        result: dict[str, list[int]] = self._json(
            "POST", f"/projects/{project_id}/clean/repairs"
        )
        return result

    def cleaning_runs(self, project_id: int) -> list[dict[str, Any]]:
        """The report of each cleaning run, newest first, with decisions taken."""
        result: list[dict[str, Any]] = self._json(
            "GET", f"/projects/{project_id}/clean/runs"
        )
        return result

    # Model-assisted labeling -------------------------------------------------

    def prelabelers(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The registered pre-labelers (name, kinds, summary, trains)."""
        params = {"kind": kind} if kind is not None else None
        found: list[dict[str, Any]] = self._json("GET", "/prelabelers", params=params)
        return found

    def prelabel(
        self,
        project_id: int,
        model: str,
        *,
        item_ids: Sequence[int] | None = None,
        filters: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        batch_size: int = 32,
    ) -> dict[str, Any]:
        """Queue a pre-labeling job; the job (poll it with ``job``)."""
        body = {
            "model": model,
            "item_ids": list(item_ids) if item_ids is not None else None,
            "filters": filters or {},
            "options": options or {},
            "batch_size": batch_size,
        }
        job: dict[str, Any] = self._json(
            "POST", f"/projects/{project_id}/prelabel", json=body
        )
        return job

    def retrain(
        self, project_id: int, *, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Queue a retrain of the project's text classifier; the job.

        ``options`` are the classifier's (``c``, ``seed``, ``min_examples``).
        """
        job: dict[str, Any] = self._json(
            "POST", f"/projects/{project_id}/retrain", json={"options": options or {}}
        )
        return job

    def job(self, job_id: int) -> dict[str, Any]:
        """A job's state, progress, total and result."""
        job: dict[str, Any] = self._json("GET", f"/jobs/{job_id}")
        return job

    def cancel_job(self, job_id: int) -> dict[str, Any]:
        job: dict[str, Any] = self._json("POST", f"/jobs/{job_id}/cancel")
        return job

    def assistance(self, project_id: int) -> dict[str, Any]:
        """What people changed in each model version's suggestions."""
        report: dict[str, Any] = self._json("GET", f"/projects/{project_id}/assistance")
        return report

    def learning_curve(self, project_id: int) -> list[dict[str, Any]]:
        """Held-out accuracy after each retrain, oldest first."""
        curve: list[dict[str, Any]] = self._json(
            "GET", f"/projects/{project_id}/learning-curve"
        )
        return curve

    # Quality -----------------------------------------------------------------

    def quality(
        self,
        project_id: int,
        *,
        guideline_version: int | None = None,
        iou_threshold: float = 0.5,
    ) -> dict[str, Any]:
        """The quality report (the same data as ``annotary quality --json``)."""
        params: dict[str, Any] = {"iou_threshold": iou_threshold}
        if guideline_version is not None:
            params["guideline_version"] = guideline_version
        report: dict[str, Any] = self._json(
            "GET", f"/projects/{project_id}/quality", params=params
        )
        return report

    def consensus(self, project_id: int, method: str = "majority") -> dict[str, Any]:
        """Store consensus annotations (managers); the run's report."""
        result: dict[str, Any] = self._json(
            "POST", f"/projects/{project_id}/consensus", json={"method": method}
        )
        return result

    def label_errors(self, project_id: int, top: int = 50) -> list[dict[str, Any]]:
        """Rank likely label errors and flag them for review (managers)."""
        result: list[dict[str, Any]] = self._json(
            "POST", f"/projects/{project_id}/label-errors", json={"top": top}
        )
        return result

    def review_queue(
        self, project_id: int, *, limit: int = 50, suspects_only: bool = False
    ) -> list[Annotation]:
        """Submitted annotations waiting for the caller's review."""
        data = self._json(
            "GET",
            f"/projects/{project_id}/reviews/queue",
            params={"limit": limit, "suspects_only": suspects_only},
        )
        return [Annotation.model_validate(a) for a in data]

    def review(
        self,
        annotation_id: int,
        decision: str,
        *,
        comment: str = "",
        regions: Sequence[Region | dict[str, Any]] | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """Accept, reject (with a comment) or fix (with regions) an annotation."""
        body = {
            "decision": decision,
            "comment": comment,
            "regions": _dump(list(regions)) if regions is not None else None,
            "version": version,
        }
        result: dict[str, Any] = self._json(
            "POST", f"/annotations/{annotation_id}/review", json=body
        )
        return result

    def gold_feedback(self, annotation_id: int) -> dict[str, Any] | None:
        """Whether a submitted gold item matched; None when there is no feedback."""
        response = self._request("GET", f"/annotations/{annotation_id}/gold-feedback")
        if response.status_code == 204:
            return None
        result: dict[str, Any] = response.json()
        return result

    def set_gold(
        self,
        project_id: int,
        answers: dict[int, Sequence[Region | dict[str, Any]]],
    ) -> int:
        """Store gold answers (item id -> regions); how many were stored."""
        body = {"answers": {str(k): _dump(list(v)) for k, v in answers.items()}}
        result = self._json("PUT", f"/projects/{project_id}/gold", json=body)
        return int(result["stored"])

    def audit_log(
        self,
        project_id: int,
        *,
        limit: int = 200,
        before: int | None = None,
        action: str | None = None,
        user: str | None = None,
    ) -> list[dict[str, Any]]:
        """Audit events, newest first (managers): id, action, target, user, data, at.

        Example:
            >>> page = client.audit_log(pid, limit=50, action="review.reject")
            >>> older = client.audit_log(pid, limit=50, before=page[-1]["id"])
        """
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("before", before), ("action", action), ("user", user)):
            if value is not None:
                params[name] = value
        events: list[dict[str, Any]] = self._json(
            "GET", f"/projects/{project_id}/audit", params=params
        )
        return events

    def audit_actions(self, project_id: int) -> list[str]:
        """The action names in the project's audit log, sorted (managers)."""
        names: list[str] = self._json("GET", f"/projects/{project_id}/audit/actions")
        return names


def _expand(paths: Sequence[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise errors.InvalidInput(f"no such file or folder: {path}", path=str(path))
    if not files:
        raise errors.InvalidInput("nothing to import: no files in the given paths")
    return files


def _filename(response: httpx.Response) -> str:
    disposition = response.headers.get("content-disposition", "")
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "filename":
            name = Path(value.strip('"')).name
            if name not in ("", ".", ".."):
                return name
    return "export"
