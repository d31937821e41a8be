"""Configuration precedence: command line > ATTI_* environment > file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from atti.config import load_settings
from atti.errors import ConfigError


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.archive == Path("archive")
    assert settings.p12 is None and settings.convert_timeout == 120.0


def test_precedence(tmp_path: Path) -> None:
    conf = tmp_path / "atti.toml"
    conf.write_text('[atti]\narchive = "from-file"\nconvert_timeout = 30\n')
    env = {"ATTI_CONFIG": str(conf)}
    assert load_settings(environ=env).archive == tmp_path / "from-file"  # relative to the file
    assert load_settings(environ=env).convert_timeout == 30
    env["ATTI_ARCHIVE"] = "/from-env"
    assert load_settings(environ=env).archive == Path("/from-env")
    assert load_settings({"archive": Path("/from-cli")}, environ=env).archive == Path("/from-cli")
    assert load_settings({"archive": None}, environ=env).archive == Path("/from-env")


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    conf = tmp_path / "atti.toml"
    conf.write_text('archvie = "x"\n')
    with pytest.raises(ConfigError, match=r"atti.toml: impostazione sconosciuta 'archvie'"):
        load_settings(config_file=conf, environ={})
    with pytest.raises(ConfigError, match="impostazione sconosciuta nell'ambiente: ATTI_ARCHVIE"):
        load_settings(environ={"ATTI_ARCHVIE": "x"})
    # secrets and tool paths are atti's variables but not settings
    load_settings(environ={"ATTI_P12_PASSPHRASE": "x", "ATTI_SOFFICE": "/usr/bin/soffice"})


def test_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="impostazione 'convert_timeout'"):
        load_settings(environ={"ATTI_CONVERT_TIMEOUT": "soon"})
    conf = tmp_path / "bad.toml"
    conf.write_text("archive = [")
    with pytest.raises(ConfigError, match=r"bad.toml: "):
        load_settings(config_file=conf, environ={})
    with pytest.raises(ConfigError, match="file di configurazione non trovato"):
        load_settings(config_file=tmp_path / "none.toml", environ={})


def test_a_body_templates_folder_is_relative_to_its_file(tmp_path: Path) -> None:
    conf = tmp_path / "atti.toml"
    conf.write_text('templates = "modelli"\n')
    assert load_settings(config_file=conf, environ={}).templates == tmp_path / "modelli"
    assert load_settings(config_file=conf, environ={"ATTI_TEMPLATES": "/srv/modelli"}).templates == Path(
        "/srv/modelli"
    )
