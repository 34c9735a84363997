"""Service settings: defaults, overridden by a TOML file, overridden by environment variables.

Nothing reads settings at import time; :func:`load_settings` is called by the CLI and the
ASGI entry point, and tests build :class:`Settings` directly.
"""

from __future__ import annotations

import difflib
import os
import re
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "COROT_VO_"
CONFIG_ENV = f"{ENV_PREFIX}CONFIG"


class ConfigError(Exception):
    """Settings that cannot be used: a missing or malformed file, a wrong value.

    ``str()`` is one line per problem, naming the file (and line) or the setting and
    where its value came from, for the operator to act on.
    """


class Limits(BaseModel):
    """Resource limits an operator tunes to the machine."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    maxrec_default: int = 20_000
    maxrec_hard: int = 10_000_000
    sync_timeout_s: float = 60.0
    async_duration_default_s: int = 600
    async_duration_max_s: int = 7_200
    job_destruction_days: int = 7
    upload_max_bytes: int = 32 * 1024 * 1024
    upload_max_rows: int = 200_000
    max_concurrent_queries: int = 16
    worker_threads: int = 2
    #: threads answering short CPU-bound requests (cone, SSA); more only adds GIL contention.
    cpu_lane_threads: int = Field(default=2, ge=1, le=64)
    batch_rows: int = 20_000
    #: positional tables up to this many rows are held in memory for cone searches
    #: (about 230 MB per million rows of corot.targets); 0 keeps every table on disk.
    resident_rows: int = 2_000_000
    #: what one request may carry (vo_service.params): parameters in the query string and
    #: form together (pyvo POSTs every ID of a result table to DataLink at once) ...
    request_max_fields: int = Field(default=100_000, ge=1)
    #: ... bytes of one parameter value, bytes of a POSTed form besides its uploaded files,
    #: and uploaded files per request (their bytes: upload_max_bytes) ...
    request_max_value_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    request_max_form_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    request_max_files: int = Field(default=64, ge=0)
    #: ... and bytes of the request line and headers: the longest GET URL served.
    request_max_head_bytes: int = Field(default=1024 * 1024, ge=16 * 1024)


class Settings(BaseModel):
    """Everything the service needs to run; frozen once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path("data")
    authority: str = "corot.vo"
    title: str = "CoRoT VO"
    #: published in the registry records and OAI-PMH Identify; set the operators' address.
    contact_email: str = "corot-vo@example.org"
    log_level: str = "INFO"
    log_json: bool = True
    #: users and groups for the access layer: {"user": {"token": "...", "groups": ["corot-coi"]}}
    users: dict[str, dict[str, Any]] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL, e.g. https://corot.example.org")
        return value.rstrip("/")

    @field_validator("authority")
    @classmethod
    def _bare_authority(cls, value: str) -> str:
        return value.removeprefix("ivo://").strip("/")

    # Paths derived from data_dir ------------------------------------------------------
    @property
    def database_path(self) -> Path:
        return self.data_dir / "archive.duckdb"

    @property
    def products_dir(self) -> Path:
        return self.data_dir / "products"

    @property
    def jobs_path(self) -> Path:
        return self.data_dir / "jobs.sqlite"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    @property
    def hips_dir(self) -> Path:
        return self.data_dir / "hips"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def ivo_prefix(self) -> str:
        """The IVOA identifier prefix of this publisher, e.g. ``ivo://corot.vo``."""
        return f"ivo://{self.authority}"


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``COROT_VO_BASE_URL`` → base_url; ``COROT_VO_LIMITS__MAXREC_DEFAULT`` → limits."""
    result: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        path = key[len(ENV_PREFIX) :].lower().split("__")
        target = result
        for part in path[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"environment variable {key}: {part} is a single value, not a group of settings")
        if isinstance(target.get(path[-1]), dict):
            raise ConfigError(f"environment variable {key}: {path[-1]} is a group of settings, not a single value")
        target[path[-1]] = value
    return result


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_TOML_POSITION = re.compile(r"^(?P<what>.*?)\s*\(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$")


def _read_toml(path: Path, origin: str) -> dict[str, Any]:
    """The TOML document at ``path``; :class:`ConfigError` naming the file, line and problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} ({origin}): no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} ({origin}): is a directory, not a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} ({origin}): {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.match(str(exc))
        if match is None:
            raise ConfigError(f"config file {path}: not valid TOML: {exc}") from None
        where = f"line {match['line']}, column {match['col']}" if match["line"] else "end of file"
        raise ConfigError(f"config file {path}, {where}: not valid TOML: {match['what'].lower()}") from None


def _known_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _describe(error: Mapping[str, Any], env_keys: Mapping[tuple[str, ...], str], path: Path | None) -> str:
    """One line for one invalid setting: its dotted name, where it came from, what is wrong."""
    loc = tuple(str(part) for part in error["loc"])
    name = ".".join(loc)
    env_name = env_keys.get(loc)
    origin = f"environment variable {env_name}" if env_name else f"config file {path}" if path else "defaults"
    if error["type"] == "extra_forbidden":
        parent: type[BaseModel] = Limits if loc[:1] == ("limits",) and len(loc) == 2 else Settings
        close = difflib.get_close_matches(loc[-1], _known_names(parent), n=1)
        hint = f"; did you mean {'.'.join((*loc[:-1], close[0]))}?" if close else ""
        return f"unknown setting {name} ({origin}){hint}"
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
    return f"setting {name} ({origin}): {error['msg']}{shown}"


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from an optional TOML file and the environment (env wins).

    Raises :class:`ConfigError` for a file that is missing or not valid TOML and for
    invalid values; the message names the file, line or setting.
    """
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    path: Path | None = None
    if config_file is not None:
        path = Path(config_file)
        data = _read_toml(path, "--config")
    elif environ.get(CONFIG_ENV):
        path = Path(environ[CONFIG_ENV])
        data = _read_toml(path, CONFIG_ENV)
    overrides = _env_overrides(environ)
    data = _merge(data, overrides)
    data.pop("config", None)
    env_keys = {
        tuple(key[len(ENV_PREFIX):].lower().split("__")): key for key in environ if key.startswith(ENV_PREFIX)
    }
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_describe(e, env_keys, path) for e in exc.errors())) from None


#: Host names that mean "every interface": never part of a published URL.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def served_at(settings: Settings, host: str, port: int) -> Settings:
    """``settings`` for a server listening on ``host:port``.

    A configured ``base_url`` (file or environment) always wins: behind a proxy it is the
    address clients use.  Only the default follows the listening address, with the
    machine's name for a wildcard host (``0.0.0.0``, ``::``), which no client can reach.
    """
    if "base_url" in settings.model_fields_set:
        return settings
    name = socket.getfqdn() if host in WILDCARD_HOSTS else host
    if ":" in name:
        name = f"[{name}]"
    return settings.model_copy(update={"base_url": f"http://{name}:{port}"})


__all__ = ["CONFIG_ENV", "ENV_PREFIX", "ConfigError", "Limits", "Settings", "load_settings", "served_at"]
