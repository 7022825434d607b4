"""A self-contained API reference page rendered from the OpenAPI document.

Swagger UI and ReDoc load their scripts from a CDN; Annotary ships everything
it serves, so /api/docs is plain HTML built on the server, no scripts.
"""

from __future__ import annotations

from html import escape
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")
_STYLE = (
    "body{font:15px system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
    "padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .2rem}"
    ".m{display:inline-block;width:4.5rem;font-weight:600}"
    "section{border-top:1px solid #ddd;padding:.4rem 0}p{margin:.2rem 0 .2rem 5rem}"
)


def render_docs(spec: dict[str, Any]) -> str:
    """The OpenAPI paths as an HTML list, grouped by tag; all text escaped."""
    info = spec.get("info", {})
    groups: dict[str, list[str]] = {}
    for path, ops in sorted(spec.get("paths", {}).items()):
        for method in _METHODS:
            op = ops.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(_operation(method, path, op))
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{escape(info.get('title', 'API'))} reference</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info.get('title', 'API'))} {escape(info.get('version', ''))}"
        "</h1>",
        "<p>Machine-readable: <a href=/api/openapi.json>/api/openapi.json</a>. "
        "Authenticate with <code>Authorization: Token ...</code> or a login "
        "session plus <code>X-CSRF-Token</code> on writes.</p>",
    ]
    for tag, ops_html in groups.items():
        parts.append(f"<h2>{escape(tag)}</h2>")
        parts.extend(ops_html)
    parts.append("</body></html>")
    return "".join(parts)


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    summary = op.get("description") or op.get("summary") or ""
    params = [
        f"<code>{escape(p['name'])}</code> ({escape(p.get('in', ''))})"
        for p in op.get("parameters", [])
    ]
    lines = [
        f"<section><span class=m>{method.upper()}</span><code>{escape(path)}</code>"
    ]
    if summary:
        lines.append(f"<p>{escape(summary)}</p>")
    if params:
        lines.append(f"<p>parameters: {', '.join(params)}</p>")
    lines.append("</section>")
    return "".join(lines)
