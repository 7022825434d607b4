"""The ASGI application: the API under /api/v1, its reference, and the UI."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from annotary import __version__
from annotary.server.docs import render_docs
from annotary.server.errors import error_body, install_error_handlers
from annotary.server.middleware import BodyLimit, SecurityHeaders
from annotary.server.routes import annotations as annotation_routes
from annotary.server.routes import (
    auth,
    cleaning,
    exports,
    guidelines,
    health,
    imports,
    items,
    members,
    prelabel,
    projects,
    quality,
    queue,
    snapshots,
    tokens,
    users,
)
from annotary.services.workspace import Workspace

log = logging.getLogger("annotary.server")

API_PREFIX = "/api/v1"
WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
JSON_LIMIT_BYTES = 64 * 2**20
# Routes are matched in this order on every request: the labeling loop's
# (queue, annotations) first. No two routers share a path.
ROUTERS = (
    health,
    queue,
    annotation_routes,
    auth,
    projects,
    guidelines,
    members,
    items,
    prelabel,
    imports,
    exports,
    cleaning,
    users,
    tokens,
    quality,
    snapshots,
)
PLACEHOLDER = """<!doctype html><html lang=en><head><meta charset=utf-8>
<title>Annotary</title></head><body style="font:16px system-ui;margin:3rem">
<h1>Annotary is running</h1>
<p>The browser UI has not been built in this installation
(no <code>src/annotary/web/dist/index.html</code>). Build it with
<code>make ui</code>, or use the API: <a href="/api/docs">/api/docs</a>.</p>
</body></html>"""


def create_app(workspace: Workspace, *, web_dist: Path | None = None) -> FastAPI:
    """The Annotary web app over an opened workspace.

    Args:
        workspace: The workspace every request works on.
        web_dist: The built UI folder; ``src/annotary/web/dist`` by default.

    Example:
        >>> app = create_app(open_workspace(Path(".")))  # doctest: +SKIP
        >>> uvicorn.run(app, host="127.0.0.1", port=8080)  # doctest: +SKIP
    """
    app = FastAPI(
        title="Annotary",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.workspace = workspace
    install_error_handlers(app)

    # Straight onto the app, not through one more router: every nesting level
    # is matched again on every request.
    for module in ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()))

    _serve_ui(app, (web_dist or WEB_DIST).resolve())
    app.add_middleware(
        BodyLimit,
        upload_bytes=workspace.settings.max_upload_mb * 2**20,
        other_bytes=JSON_LIMIT_BYTES,
    )
    app.add_middleware(SecurityHeaders)
    return app


def _serve_ui(app: FastAPI, dist: Path) -> None:
    """Static files of the built UI; index.html for every other page path."""
    index = dist / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    def ui(path: str) -> Response:
        if path == "api" or path.startswith("api/"):
            body = error_body("annotary.not_found", f"no API route /{path}")
            return JSONResponse(body, status_code=404)
        if path:
            target = (dist / path).resolve()
            if target.is_relative_to(dist) and target.is_file():
                return FileResponse(target)
            if Path(path).suffix:
                body = error_body("annotary.not_found", f"no file /{path}")
                return JSONResponse(body, status_code=404)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(PLACEHOLDER)
