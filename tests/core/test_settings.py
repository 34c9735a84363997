"""Settings: defaults < TOML file < environment."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from vo_service.settings import ConfigError, load_settings, served_at


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


def test_configured_base_url_wins_over_the_listening_address(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('base_url = "https://corot.example.org/vo"\n')
    for settings in (load_settings(config, environ={}),
                     load_settings(environ={"COROT_VO_BASE_URL": "https://corot.example.org/vo"})):
        assert served_at(settings, "0.0.0.0", 9000).base_url == "https://corot.example.org/vo"
        assert served_at(settings, "127.0.0.1", 8001).base_url == "https://corot.example.org/vo"


def test_default_base_url_follows_the_listening_address() -> None:
    settings = load_settings(environ={})
    assert served_at(settings, "127.0.0.1", 8001).base_url == "http://127.0.0.1:8001"
    assert served_at(settings, "::1", 8001).base_url == "http://[::1]:8001"
    wildcard = served_at(settings, "0.0.0.0", 8001).base_url
    assert wildcard == f"http://{socket.getfqdn()}:8001" and "0.0.0.0" not in wildcard


def test_config_errors_name_file_line_and_setting(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('authority = "corot.vo"\nlimits = [\n')
    with pytest.raises(ConfigError, match=rf"^config file {re.escape(str(config))}, end of file: not valid TOML"):
        load_settings(config, environ={})
    config.write_text('[limits]\nsync_timeout_s = "soon"\n')
    with pytest.raises(ConfigError, match=r"^setting limits.sync_timeout_s \(config file .*\): .*'soon'"):
        load_settings(config, environ={})
    with pytest.raises(ConfigError, match=r"^unknown setting limits.maxrec \(environment variable "
                                          r"COROT_VO_LIMITS__MAXREC\); did you mean limits.maxrec_hard\?"):
        load_settings(environ={"COROT_VO_LIMITS__MAXREC": "5"})
    with pytest.raises(ConfigError, match="COROT_VO_LOG_LEVEL__X: log_level is a single value"):
        load_settings(environ={"COROT_VO_LOG_LEVEL": "INFO", "COROT_VO_LOG_LEVEL__X": "1"})
