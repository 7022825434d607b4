from __future__ import annotations

from pathlib import Path

import pytest

from annotary.errors import InvalidInput, NotFound
from annotary.services.workspace import Settings, init_workspace, open_workspace


def test_init_writes_config_with_a_secret_and_reopens(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "w")
    ws.close()
    config = (tmp_path / "w" / "annotary.toml").read_text()
    again = open_workspace(tmp_path / "w")
    assert "secret_key" in config
    assert len(again.settings.secret_key) > 30
    assert (tmp_path / "w" / "media").is_dir()
    assert (tmp_path / "w" / "annotary.db").exists()
    again.close()


def test_env_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "annotary.toml").write_text('port = 9000\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("ANNOTARY_PORT", "9100")
    monkeypatch.setenv("ANNOTARY_URL_IMPORT", "yes")
    settings = Settings.load(tmp_path)
    assert (settings.port, settings.host, settings.url_import) == (
        9100,
        "0.0.0.0",
        True,
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [("port = ", "annotary.toml"), ("colour = 1\n", "unknown setting\\(s\\) colour")],
)
def test_bad_config_names_the_file(tmp_path: Path, content: str, says: str) -> None:
    (tmp_path / "annotary.toml").write_text(content)
    with pytest.raises(InvalidInput, match=says):
        Settings.load(tmp_path)


def test_open_refuses_a_folder_that_is_no_workspace(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="annotary init"):
        open_workspace(tmp_path)
