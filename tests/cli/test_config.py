"""Settings that cannot be used end the command in one line naming the file, line or setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import one_line, run_cli

#: (TOML text or None for a missing file, environment, words the one line must hold)
CASES: dict[str, tuple[str | None, dict[str, str], tuple[str, ...]]] = {
    "missing file": (None, {}, ("config file", "no such file")),
    "invalid TOML": ('title = "CoRoT"\nbase_url = \n', {}, ("line 2", "not valid TOML")),
    "unclosed array": ("[users.a]\ngroups = [\"x\",\n", {}, ("end of file", "not valid TOML")),
    "wrong type": ('[limits]\nmaxrec_default = "many"\n', {}, ("setting limits.maxrec_default", "'many'")),
    "unknown setting": ("base_ulr = \"https://corot.example.org\"\n", {}, ("unknown setting base_ulr",
                                                                            "did you mean base_url")),
    "base_url without scheme": ('base_url = "corot.example.org"\n', {}, ("setting base_url", "http")),
    "bad environment value": ("", {"COROT_VO_LOG_JSON": "maybe"}, ("setting log_json",
                                                                   "environment variable COROT_VO_LOG_JSON")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_problem_is_one_line(case: str, tmp_path: Path) -> None:
    text, env, words = CASES[case]
    config = tmp_path / "corot-vo.toml"
    if text is not None:
        config.write_text(text, encoding="utf-8")
    result = run_cli("--config", str(config), "--data-dir", str(tmp_path / "data"), "serve",
                     "--port", "1", env=env)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("corot-vo serve: ")
    for word in words:
        assert word in line
    if "config file" in words or "line 2" in words:
        assert str(config) in line
    assert not (tmp_path / "data").exists(), "nothing is created with unusable settings"


def test_missing_file_named_by_the_environment(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    result = run_cli("hips", "check", env={"COROT_VO_CONFIG": str(missing)})
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert str(missing) in line and "COROT_VO_CONFIG" in line and "no such file" in line


def test_every_bad_setting_is_named(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('log_json = "sometimes"\n[limits]\nresident_rows = "all"\n', encoding="utf-8")
    result = run_cli("--config", str(config), "ingest", "x.fits")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert any("setting log_json" in line for line in lines)
    assert any("setting limits.resident_rows" in line for line in lines)
