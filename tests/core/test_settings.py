"""Settings: defaults < TOML file < environment."""

from __future__ import annotations

from pathlib import Path

from vo_service.settings import load_settings


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('base_url = "http://a/"\nauthority = "ivo://x.y"\n[limits]\nmaxrec_default = 10\n')
    settings = load_settings(config, environ={"COROT_VO_LIMITS__MAXREC_DEFAULT": "7"})
    assert settings.base_url == "http://a"
    assert settings.authority == "x.y"
    assert settings.ivo_prefix == "ivo://x.y"
    assert settings.limits.maxrec_default == 7


def test_defaults_need_no_file() -> None:
    settings = load_settings(environ={})
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.database_path == Path("data") / "archive.duckdb"
