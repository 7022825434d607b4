"""A workspace: a folder with annotary.toml, the database and the media store.

Every setting comes from ``annotary.toml`` and can be overridden by an
``ANNOTARY_<NAME>`` environment variable (``ANNOTARY_DATABASE_URL`` ...).
"""

from __future__ import annotations

import logging
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from annotary.errors import InvalidInput, NotFound
from annotary.storage import Database

log = logging.getLogger("annotary.services")

CONFIG_NAME = "annotary.toml"


@dataclass
class Settings:
    database_url: str = ""
    media_dir: str = "media"
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    # Server-side folders imports may read from; empty means only uploads.
    import_roots: list[str] = field(default_factory=list)
    max_upload_mb: int = 1024
    max_archive_members: int = 100_000
    max_archive_mb: int = 10_240
    max_image_pixels: int = 178_956_970
    # The most UTF-8 bytes one text item may hold; longer ones are rejected.
    max_text_bytes: int = 1_048_576
    url_import: bool = False
    session_hours: float = 12.0
    allow_signup: bool = False

    @classmethod
    def load(cls, root: Path) -> Settings:
        data: dict[str, Any] = {}
        config = root / CONFIG_NAME
        if config.exists():
            try:
                data = tomllib.loads(config.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise InvalidInput(f"{config}: {exc}", file=str(config)) from None
        data = data.get("annotary", data)
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InvalidInput(
                f"{config}: unknown setting(s) {', '.join(unknown)}", file=str(config)
            )
        for name, spec in known.items():
            env = os.environ.get(f"ANNOTARY_{name.upper()}")
            if env is not None:
                data[name] = _coerce(env, spec.type, name)
        return cls(**data)


def _coerce(raw: str, kind: Any, name: str) -> Any:
    kind = str(kind)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if kind.startswith("list"):
            return [part for part in raw.split(os.pathsep) if part]
    except ValueError:
        raise InvalidInput(f"ANNOTARY_{name.upper()}={raw!r} is not a {kind}") from None
    return raw


class Workspace:
    """An opened workspace: settings, database and media root."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        url = settings.database_url or f"sqlite:///{root / 'annotary.db'}"
        self.db = Database(url)
        self.media_root = (root / settings.media_dir).resolve()

    @property
    def tmp_dir(self) -> Path:
        path = self.root / "tmp"
        path.mkdir(exist_ok=True)
        return path

    def close(self) -> None:
        self.db.dispose()


def init_workspace(root: Path, *, database_url: str | None = None) -> Workspace:
    """Create (or reopen) a workspace folder, its config and its tables."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_NAME
    if not config.exists():
        lines = [
            "# Annotary workspace settings; ANNOTARY_<NAME> env vars override them.",
            f'secret_key = "{secrets.token_urlsafe(32)}"',
            'media_dir = "media"',
        ]
        if database_url:
            lines.append(f'database_url = "{database_url}"')
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        log.info("created workspace %s", root)
    workspace = Workspace(root, Settings.load(root))
    workspace.media_root.mkdir(parents=True, exist_ok=True)
    workspace.db.create_all()
    return workspace


def open_workspace(root: Path) -> Workspace:
    root = root.resolve()
    if not (root / CONFIG_NAME).exists():
        raise NotFound(
            f"{root} is not an Annotary workspace (no {CONFIG_NAME}); "
            "run 'annotary init' there first",
            path=str(root),
        )
    workspace = Workspace(root, Settings.load(root))
    workspace.db.create_all()
    return workspace
