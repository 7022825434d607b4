"""An in-memory stand-in for the Annotary REST API, for UI-only browser tests.

It follows the API plan (errors as {"code", "message", "details"}, cookie
session with a CSRF token on writes, row versions with 409 on stale saves) and
serves the built UI at "/". Tests that check what the real server stores use
the real app; this one lets a test provoke states that are hard to reach
through it, such as a concurrent edit.
"""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from PIL import Image

DIST = Path(__file__).resolve().parents[2] / "src" / "annotary" / "web" / "dist"


def _error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    body = {"code": code, "message": message, "details": details}
    return JSONResponse(body, status_code=status)


class State:
    def __init__(self, image: Image.Image, texts: list[str]) -> None:
        self.sessions: dict[str, str] = {}
        self.image = image
        # Seconds an item's annotations take to arrive: a slow server or network.
        self.annotations_delay = 0.0
        # Seconds an image takes to arrive.
        self.media_delay = 0.0
        schema_boxes = {
            "labels": [
                {
                    "name": "person",
                    "color": "#e6194b",
                    "hotkey": "1",
                    "description": "",
                    "attributes": [
                        {"name": "occluded", "kind": "bool", "options": []},
                        {
                            "name": "pose",
                            "kind": "choice",
                            "options": ["front", "side"],
                        },
                    ],
                },
                {
                    "name": "face",
                    "color": "#3cb44b",
                    "hotkey": "2",
                    "description": "",
                    "attributes": [],
                },
            ],
            "tools": ["bbox"],
            "multi_label": False,
            "allow_overlap": False,
        }
        schema_spans = {
            "labels": [
                {
                    "name": "person",
                    "color": "#4363d8",
                    "hotkey": "1",
                    "description": "",
                    "attributes": [],
                },
                {
                    "name": "geo-loc",
                    "color": "#f58231",
                    "hotkey": "2",
                    "description": "",
                    "attributes": [],
                },
            ],
            "tools": ["span"],
            "multi_label": False,
            "allow_overlap": False,
        }
        schema_classes = {
            "labels": [
                {
                    "name": "pos",
                    "color": "#3cb44b",
                    "hotkey": "1",
                    "description": "praises",
                    "attributes": [],
                },
                {
                    "name": "neg",
                    "color": "#e6194b",
                    "hotkey": "2",
                    "description": "criticises",
                    "attributes": [],
                },
            ],
            "tools": ["class"],
            "multi_label": False,
            "allow_overlap": False,
        }
        counts = {
            "total": 0,
            "new": 0,
            "in_progress": 0,
            "done": 0,
            "reviewed": 0,
            "excluded": 0,
        }
        self.projects = [
            {
                "id": 1,
                "name": "Boxes",
                "kind": "image",
                "description": "mock",
                "settings": {"overlap": 1, "queue_order": "sequential"},
                "label_schema": schema_boxes,
                "guideline_version": 1,
                "role": "admin",
                "counts": dict(counts, total=1, new=1),
            },
            {
                "id": 2,
                "name": "Spans",
                "kind": "text",
                "description": "mock",
                "settings": {"overlap": 1, "queue_order": "sequential"},
                "label_schema": schema_spans,
                "guideline_version": 1,
                "role": "admin",
                "counts": dict(counts, total=len(texts), new=len(texts)),
            },
            {
                "id": 3,
                "name": "Classes",
                "kind": "text",
                "description": "mock",
                "settings": {"overlap": 1, "queue_order": "sequential"},
                "label_schema": schema_classes,
                "guideline_version": 1,
                "role": "annotator",
                "counts": dict(counts, total=1, done=1),
            },
        ]
        width, height = image.size
        self.items: dict[int, dict[str, Any]] = {
            1: self._item(
                1,
                1,
                None,
                {"path": "p", "mime": "image/png", "width": width, "height": height},
            ),
        }
        for n, text in enumerate(texts):
            self.items[10 + n] = self._item(10 + n, 2, text, None)
        self.items[30] = self._item(30, 3, "A warm, funny film.", None)
        self.annotations: dict[int, dict[str, Any]] = {}
        self.done: set[int] = set()

    @staticmethod
    def _item(iid: int, pid: int, text: str | None, media: Any) -> dict[str, Any]:
        return {
            "id": iid,
            "project_id": pid,
            "external_id": f"x{iid}",
            "text": text,
            "media": media,
            "meta": {},
            "status": "new",
            "split": None,
            "excluded": False,
            "flags": [],
            "labels": [],
            "annotators": [],
        }


def create_app(state: State) -> FastAPI:
    app = FastAPI()
    png = io.BytesIO()
    state.image.save(png, format="PNG")
    image_bytes = png.getvalue()

    def user(request: Request) -> str | None:
        return state.sessions.get(request.cookies.get("session", ""))

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if path.startswith("/api/v1") and not path.startswith("/api/v1/auth/login"):
            if user(request) is None:
                return _error(401, "annotary.unauthenticated", "Log in first.")
            if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
                token = request.cookies.get("session", "")
                if request.headers.get("X-CSRF-Token") != f"csrf-{token}":
                    return _error(403, "annotary.forbidden.csrf", "Missing CSRF token.")
        return await call_next(request)

    @app.post("/api/v1/auth/login")
    async def login(request: Request) -> Response:
        body = await request.json()
        if body.get("password") != "secret":
            message = "Wrong user name or password."
            return _error(401, "annotary.unauthenticated", message)
        token = secrets.token_hex(8)
        state.sessions[token] = body["username"]
        response = JSONResponse(
            {
                "user": {"id": 1, "username": body["username"], "is_admin": True},
                "csrf_token": f"csrf-{token}",
            }
        )
        response.set_cookie("session", token, httponly=True, samesite="lax")
        return response

    @app.get("/api/v1/auth/me")
    def me(request: Request) -> dict[str, Any]:
        token = request.cookies.get("session", "")
        return {
            "user": {"id": 1, "username": user(request), "is_admin": True},
            "csrf_token": f"csrf-{token}",
        }

    @app.post("/api/v1/auth/logout")
    def logout(request: Request) -> Response:
        state.sessions.pop(request.cookies.get("session", ""), None)
        return Response(status_code=204)

    @app.get("/api/v1/projects")
    def projects() -> list[dict[str, Any]]:
        return state.projects

    @app.get("/api/v1/projects/{pid}")
    def project(pid: int) -> Any:
        return state.projects[pid - 1]

    @app.get("/api/v1/projects/{pid}/guidelines")
    def guidelines(pid: int) -> list[dict[str, Any]]:
        schema = state.projects[pid - 1]["label_schema"]
        text = "# Guide\n\nDraw **tight** boxes.\n\n<script>alert(1)</script>"
        return [{"version": 1, "text": text, "schema": schema}]

    @app.get("/api/v1/projects/{pid}/items")
    def items(pid: int, limit: int = 50, cursor: str = "") -> dict[str, Any]:
        rows = [i for i in state.items.values() if i["project_id"] == pid]
        start = int(cursor or 0)
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        return {
            "items": page,
            "next_cursor": str(start + limit) if more else None,
            "total": len(rows),
        }

    @app.post("/api/v1/projects/{pid}/queue/next")
    def next_item(pid: int) -> Any:
        for item in state.items.values():
            if item["project_id"] == pid and item["id"] not in state.done:
                return {"item": item, "annotation_draft": None}
        return Response(status_code=204)

    @app.post("/api/v1/projects/{pid}/queue/{iid}/skip")
    def skip(pid: int, iid: int) -> Response:
        state.done.add(iid)
        return Response(status_code=204)

    @app.get("/api/v1/items/{iid}")
    def item(iid: int) -> Any:
        return state.items[iid]

    @app.get("/api/v1/items/{iid}/media")
    def media(iid: int) -> Response:
        time.sleep(state.media_delay)
        return Response(image_bytes, media_type="image/png")

    @app.get("/api/v1/items/{iid}/annotations")
    def annotations(iid: int) -> list[dict[str, Any]]:
        time.sleep(state.annotations_delay)
        return [a for a in state.annotations.values() if a["item_id"] == iid]

    @app.post("/api/v1/items/{iid}/annotations")
    async def create(iid: int, request: Request) -> Any:
        body = await request.json()
        aid = len(state.annotations) + 1
        state.annotations[aid] = {
            "id": aid,
            "item_id": iid,
            "regions": body["regions"],
            "user_id": 1,
            "origin": "human",
            "state": body["state"],
            "version": 1,
            "lead_time": body.get("lead_time"),
            "parent_id": body.get("parent_id"),
        }
        if body["state"] == "submitted":
            state.done.add(iid)
        return JSONResponse(state.annotations[aid], status_code=201)

    @app.put("/api/v1/annotations/{aid}")
    async def update(aid: int, request: Request) -> Any:
        body = await request.json()
        current = state.annotations[aid]
        if body["version"] != current["version"]:
            return _error(
                409,
                "annotary.conflict.stale",
                "Changed on the server.",
                current=current,
            )
        current.update(
            regions=body["regions"], state=body["state"], version=current["version"] + 1
        )
        if body["state"] == "submitted":
            state.done.add(current["item_id"])
        return current

    @app.get("/{path:path}")
    def ui(path: str) -> Response:
        target = DIST / path
        if path and target.is_file():
            return FileResponse(target)
        return FileResponse(DIST / "index.html")

    return app
