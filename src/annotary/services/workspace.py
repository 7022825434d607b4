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

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            problem = _setting_problem(spec.name, str(spec.type), value)
            if problem:
                raise InvalidInput(
                    f"setting {spec.name} ({CONFIG_NAME} or "
                    f"ANNOTARY_{spec.name.upper()}) {problem}, not {value!r}",
                    field=spec.name,
                )

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


PORT_RANGE = (1, 65535)
# Settings that count something: zero or less means nothing would work.
POSITIVE = frozenset(
    {
        "max_upload_mb",
        "max_archive_members",
        "max_archive_mb",
        "max_image_pixels",
        "max_text_bytes",
        "session_hours",
    }
)


def _setting_problem(name: str, kind: str, value: Any) -> str | None:
    """Why a setting's value is wrong for its type and range (None if right)."""
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind in ("int", "float"):
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole and not (kind == "float" and isinstance(value, float)):
            return f"must be a {'whole ' if kind == 'int' else ''}number"
        if name == "port" and not PORT_RANGE[0] <= value <= PORT_RANGE[1]:
            return "must be a port from 1 to 65535"
        if name in POSITIVE and not value > 0:
            return "must be more than 0"
        return None
    if kind == "str":
        return None if isinstance(value, str) else "must be text"
    if kind.startswith("list"):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return "must be a list of text"
    return None


def _coerce(raw: str, kind: Any, name: str) -> Any:
    kind = str(kind)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            word = raw.strip().lower()
            if word not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
                raise ValueError(word)
            return word in ("1", "true", "yes", "on")
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
