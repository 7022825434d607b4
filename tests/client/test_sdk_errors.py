"""The SDK raises Annotary errors, never bare httpx or OSError ones."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotary import errors
from annotary.client import Client
from annotary.services import projects, users

HUGE = 99999999999999999999


@pytest.fixture
def client(live: Any) -> Iterator[Client]:
    user = users.create_user(live.workspace, "root", None, is_admin=True)
    with Client(live.url, users.create_token(live.workspace, user)) as sdk:
        yield sdk


@pytest.fixture
def ws(live: Any) -> Any:
    return live.workspace


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_no_server_is_unavailable_naming_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with Client(url, timeout=5) as sdk:
        with pytest.raises(errors.Unavailable, match=f"cannot reach .*{url}") as got:
            sdk.health()
        assert got.value.details["url"].startswith(url)
        # Downloads go through the same net.
        with pytest.raises(errors.Unavailable):
            sdk.export(1, "jsonl.v1", tmp_path)


@pytest.mark.parametrize("out", ["/tmp/annotary-nonexist/dir/", "{tmp}/no/x.zip"])
def test_export_to_a_missing_folder_names_it(
    client: Client, ws: Any, tmp_path: Path, out: str
) -> None:
    pid = projects.create_project(ws, "p", "text").id
    target = out.replace("{tmp}", str(tmp_path))
    with pytest.raises(errors.InvalidInput, match="does not exist") as got:
        client.export(pid, "jsonl.v1", target)
    assert got.value.details["path"] == target


def test_export_options_are_type_checked(
    client: Client, ws: Any, tmp_path: Path
) -> None:
    pid = projects.create_project(ws, "pics", "image").id
    with pytest.raises(errors.InvalidInput, match="copy_media must be true or false"):
        client.export(pid, "coco.v1", tmp_path, options={"copy_media": "maybe"})
    with pytest.raises(errors.InvalidInput, match="copy_media"):
        client.export(pid, "coco.v1", tmp_path, options={"copy_media": 1})
    written = client.export(pid, "coco.v1", tmp_path, options={"copy_media": False})
    assert written.exists()


def test_unknown_check_in_flags_is_refused(client: Client, ws: Any) -> None:
    pid = projects.create_project(ws, "p", "text").id
    with pytest.raises(errors.InvalidInput, match="no check named 'nosuch'"):
        client.flags(pid, check="nosuch")
    assert client.flags(pid, check="empty-text")["flags"] == []


def test_clean_params_of_the_wrong_type_are_refused(client: Client, ws: Any) -> None:
    pid = projects.create_project(ws, "pics", "image").id
    for background in (False, True):
        got = client._http.post(
            f"/projects/{pid}/clean",
            json={"params": {"blur": {"threshold": "abc"}}, "background": background},
        )
        assert got.status_code == 422, got.text
        assert "threshold must be a number" in got.json()["message"]


def test_huge_ids_are_not_found(client: Client) -> None:
    with pytest.raises((errors.NotFound, errors.InvalidInput)):
        client.project(HUGE)
